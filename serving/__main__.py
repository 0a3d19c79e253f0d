"""`python -m serving <rasa arguments>`: Rasa's own command line, with kind failure replies
and the one profiled hot spot removed (serving/speed.py).

Procfile, the tests and the Dockerfile start the Rasa server this way so that a patient
whose message hits a failing action server or database is never left without an answer.
"""

import sys

from rasa.__main__ import main

from serving import kind_failures, speed

if __name__ == "__main__":
    kind_failures.install()
    speed.install()
    sys.exit(main())
