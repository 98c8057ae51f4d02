/* The dashboard's files, embedded at build time by cmake/embed.cmake from
 * web/ (index.html, app.js, app.css) and the pinned lightweight-charts
 * package (vendor/lightweight-charts.js). Generated: web_assets.c in the
 * build folder. */
#ifndef TL_WEB_WEB_ASSETS_H
#define TL_WEB_WEB_ASSETS_H

#include <stddef.h>

typedef struct tl_web_asset {
    const char *path; /* "/index.html" */
    const unsigned char *data;
    size_t len;
} tl_web_asset;

extern const tl_web_asset tl_web_assets[];
extern const size_t tl_web_assets_count;

#endif
