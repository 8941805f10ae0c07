"""Language: grammatical forms of model names, locale formatting, text in any script."""
