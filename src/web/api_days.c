/* GET /api/days — the UTC days the lake holds, newest first (the "past
 * day" picker). */
#include "web/web_int.h"

static void days(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    if (tl_live_days_json(w->live, &r->body) != 0) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_days_register(tl_web *w) {
    tl_web_register(w, "/api/days", true, days);
}
