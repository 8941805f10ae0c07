"""The project's own date formats where Django's locale files read wrongly (FORMAT_MODULE_PATH): a name missing
here is Django's own."""
