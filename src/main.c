#include <stdio.h>
int main(void) {
    puts("ticklake " TL_VERSION);
    return 0;
}
