"""Books: Accounts, transactions and entries, balances, invoices, recurring payments, reports."""
