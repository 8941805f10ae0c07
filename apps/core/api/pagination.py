from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Numbered pages of a stable order (every list orders by a unique key last); ``?page_size=`` up to 500."""

    page_size_query_param = "page_size"
    max_page_size = 500
