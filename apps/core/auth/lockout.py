"""PLACEHOLDER — replaced by the brute-force protection work in this session."""


def username_from_request(request, credentials):
    credentials = credentials or {}
    return credentials.get("login") or credentials.get("email") or credentials.get("username")


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    from django.http import HttpResponse

    return HttpResponse("Locked out", status=429)
