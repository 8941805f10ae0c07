# A day of a month is written with the month in the genitive: «7 декабря», never «7 Декабрь» (Django's "j F",
# which the admin's date drill-down shows). "E" is the genitive month name of the Russian locale.
MONTH_DAY_FORMAT = "j E"
