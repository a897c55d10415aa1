"""Templates, Vietnamese labels and the console's error pages.

Console routes use :class:`ConsoleRoute`, which turns the service's domain errors into HTML
(a sign-in redirect, a 403 or 404 page) instead of problem+json: a reviewer in a browser
gets a page in Vietnamese, an API client still gets problem+json from ``/api/v1``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from service.errors import ServiceError

log = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

CHANNELS = {"hom_thu": "Hòm thư góp ý", "email": "Thư điện tử",
            "duong_day_nong": "Đường dây nóng", "tiep_xuc_cu_tri": "Tiếp xúc cử tri",
            "don_thu": "Đơn thư", "bao_chi": "Báo chí", "truc_tiep": "Trực tiếp"}
TRACKS = {"gop_y": "Góp ý", "phan_anh": "Phản ánh", "kien_nghi": "Kiến nghị",
          "khieu_nai": "Khiếu nại", "to_cao": "Tố cáo"}
STATUSES = {"untriaged": "Chưa phân tích", "new": "Mới", "in_review": "Đang xem xét",
            "reviewed": "Đã xem xét", "forwarded": "Đã chuyển", "closed": "Đã đóng"}
ROLES = {"intake": "tiếp nhận", "reviewer": "người xem xét", "supervisor": "giám sát viên",
         "admin": "quản trị"}
LEVEL_CLASS = {"khẩn cấp": "p-urgent", "cao": "p-high", "trung bình": "p-mid", "thấp": "p-low"}

def _locality(code: str | None) -> str:
    from service.localities import locality_name

    return locality_name(code, with_province=True) or code or "—"


TEMPLATES.env.filters["locality"] = _locality
TEMPLATES.env.globals.update(CHANNELS=CHANNELS, TRACKS=TRACKS, STATUSES=STATUSES, ROLES=ROLES,
                             LEVEL_CLASS=LEVEL_CLASS)

# Pages hold redacted citizen text (and, on the reveal page, identity): never cache them,
# never frame them, never leak the URL to another site, and run only our own script.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

MESSAGES = {
    "forbidden": "Tài khoản của bạn không có quyền thực hiện thao tác này, hoặc phản ánh nằm "
                 "ngoài địa bàn được giao.",
    "csrf_failed": "Biểu mẫu đã hết hạn hoặc không hợp lệ (mã chống giả mạo CSRF không khớp). "
                   "Hãy tải lại trang rồi thử lại.",
    "not_found": "Không tìm thấy nội dung yêu cầu.",
    "conflict": "Phản ánh đang được người khác xử lý hoặc đã thay đổi. Hãy tải lại trang.",
    "invalid_transition": "Không thể thực hiện thao tác này ở trạng thái hiện tại của phản ánh.",
    "unknown_category": "Có mã phân loại không có trong danh mục.",
    "validation_error": "Dữ liệu nhập chưa hợp lệ.",
    "invalid_locality": "Mã địa bàn không hợp lệ.",
}


def message_for(exc: ServiceError) -> str:
    return MESSAGES.get(exc.code, "Đã có lỗi xảy ra.")


def page(request: Request, name: str, *, user=None, status: int = 200, **context) -> Response:
    response = TEMPLATES.TemplateResponse(request, name, {"user": user, **context},
                                          status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, exc: ServiceError, *, user=None) -> Response:
    return page(request, "console/error.html", user=user, status=exc.status,
                title=exc.title, message=message_for(exc), detail=exc.detail, code=exc.code)


class ConsoleRoute(APIRoute):
    """Errors of a console route (including its dependencies) become pages."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                if exc.code == "not_signed_in":
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/console/login?next={quote(target, safe='')}", 303)
                return error_page(request, exc)

        return handle
