"""Container health check of the web service: GET /healthz on the local daphne (port 8000, or the first
argument), exit 0 only on 200.

The request carries a Host header Django accepts (the first concrete name of DJANGO_ALLOWED_HOSTS); with
"localhost" the production settings would answer 400. /healthz is exempt from the HTTPS redirect.
"""

import http.client
import os
import sys

PORT = 8000
TIMEOUT = 8  # seconds: /healthz itself answers within about 2 s even when a dependency is down


def host() -> str:
    for entry in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        name = entry.strip().lstrip(".")  # ".example.com" allows example.com and its subdomains
        if name and name != "*":
            return name
    return "localhost"


def main(port: int = PORT) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/healthz", headers={"Host": host()})
        response = connection.getresponse()
        body = response.read(2000).decode(errors="replace")
    except OSError as error:
        sys.stdout.write(f"healthz unreachable: {error}\n")
        return 1
    finally:
        connection.close()
    if response.status != 200:
        sys.stdout.write(f"healthz answered {response.status}: {body}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else PORT))
