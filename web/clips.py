"""The clips' HTTP face: a phone-friendly page per clip, the files, deletion, the operator's list.

    GET    /c/{id}           the clip's page: the video and a download button (what the QR opens)
    GET    /clips/{id}.mp4   the video, with HTTP Range (phone players seek and stream)
    GET    /clips/{id}.jpg   the thumbnail
    GET    /clips/{id}/qr.svg  a QR code of the clip's page, at the address phones reach (--public-url,
                             else the one this request came to)
    DELETE /clips/{id}       by the session that made it (header X-Clip-Secret) or the operator
    GET    /clips            the operator's list (Authorization: Bearer <MIRROR_ADMIN_TOKEN>)

Any id that is not one the server could have made (../, percent-encoded traversal, too long,
unknown) is a 404: paths come only from ClipStore, never from the request.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from mirror.clips.store import ClipStore

SECRET_HEADER = "x-clip-secret"
NOT_FOUND = {"error": "no such clip"}


def clip_routes(store_of: Callable[[Request], "ClipStore"], is_operator: Callable[[Request], bool],
                public_url: str = "") -> list[Route]:
    def found(request: Request):
        return store_of(request).get(request.path_params["clip_id"])

    async def page(request: Request) -> Response:
        clip = found(request)
        if clip is None:
            return HTMLResponse(_PAGE.format(body="<p>This clip is gone: clips are deleted after a while.</p>"),
                                status_code=404)
        video = f"/clips/{clip.id}.mp4"
        body = (f'<video src="{video}" poster="/clips/{clip.id}.jpg" controls playsinline autoplay muted loop>'
                f'</video><a class="button" href="{video}" download="magic-mirror-{clip.id[:8]}.mp4">'
                f"Download ({clip.duration_s:.0f} s)</a>")
        return HTMLResponse(_PAGE.format(body=body), headers={"Cache-Control": "no-store"})

    def file(suffix: str, media_type: str):
        async def serve(request: Request) -> Response:
            clip = found(request)
            if clip is None:
                return JSONResponse(NOT_FOUND, status_code=404)
            store = store_of(request)
            path = store.video_path(clip.id) if suffix == ".mp4" else store.thumbnail_path(clip.id)
            if not path.is_file():
                return JSONResponse(NOT_FOUND, status_code=404)
            return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
        return serve

    async def qr(request: Request) -> Response:
        import segno

        clip = found(request)
        if clip is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        base = public_url.rstrip("/") or f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        svg = io.BytesIO()  # a standalone SVG (with its namespace): an <img> shows nothing without one
        segno.make(f"{base}/c/{clip.id}", error="m").save(svg, kind="svg", scale=6, border=2, dark="#000",
                                                            light="#fff", xmldecl=False)
        return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    async def delete(request: Request) -> Response:
        store = store_of(request)
        clip_id = request.path_params["clip_id"]
        if store.get(clip_id) is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        secret = request.headers.get(SECRET_HEADER, "")
        if not (is_operator(request) or (secret and store.owns(clip_id, secret))):
            return JSONResponse({"error": "only the session that recorded a clip, or the operator, may delete it"},
                                status_code=403)
        store.delete(clip_id)
        return JSONResponse({"deleted": clip_id})

    async def listing(request: Request) -> Response:
        if not is_operator(request):
            return JSONResponse({"error": "the clip list needs the operator's token (Authorization: Bearer …)"},
                                status_code=403)
        store = store_of(request)
        return JSONResponse({"clips": [c.to_dict() for c in store.list()], "disk_bytes": store.disk_usage()})

    return [
        Route("/c/{clip_id}", page),
        Route("/clips/{clip_id}.mp4", file(".mp4", "video/mp4")),
        Route("/clips/{clip_id}.jpg", file(".jpg", "image/jpeg")),
        Route("/clips/{clip_id}/qr.svg", qr),
        Route("/clips/{clip_id}", delete, methods=["DELETE"]),
        Route("/clips", listing),
    ]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your Magic Mirror clip</title>
<style>
  body {{ margin: 0; background: #0b0b12; color: #f4f1ea; font: 18px system-ui, sans-serif;
         display: flex; flex-direction: column; align-items: center; gap: 1rem; padding: 1rem; }}
  video {{ width: 100%; max-width: 720px; border-radius: 12px; background: #000; }}
  .button {{ background: #f5c542; color: #111; padding: .9rem 1.6rem; border-radius: 999px;
            text-decoration: none; font-weight: 700; }}
</style></head>
<body><h1>Magic Mirror</h1>{body}</body></html>
"""
