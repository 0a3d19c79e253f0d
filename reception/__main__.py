"""`python -m reception` serves the reception web app on RECEPTION_PORT (default 8081)."""

from reception.app import main

main()
