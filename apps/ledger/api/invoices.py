"""API of the ledger: invoices. ``register(router)`` adds this area's viewsets; ``urlpatterns`` its other views."""


def register(router) -> None:
    pass


urlpatterns: list = []
