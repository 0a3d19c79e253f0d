"""`python -m serving <rasa arguments>`: Rasa's own command line, with kind failure replies.

Procfile, the tests and the Dockerfile start the Rasa server this way so that a patient
whose message hits a failing action server or database is never left without an answer.
"""

import sys

from rasa.__main__ import main

from serving.kind_failures import install

if __name__ == "__main__":
    install()
    sys.exit(main())
