"""`python -m serving <rasa arguments>`: Rasa's own command line, with kind failure replies,
conversations bound to their channel (serving/channel_binding.py), logs without patient data
and the profiled hot spots removed (serving/speed.py).

Procfile, the tests and the Dockerfile start the Rasa server this way so that a patient
whose message hits a failing action server or database is never left without an answer.
"""

import os
import sys

from rasa.__main__ import main

from serving import channel_binding, kind_failures, log_privacy, speed

if __name__ == "__main__":
    # One TensorFlow thread per server (read by main()): our models are small, and
    # TensorFlow's default pools spin on every core, taking the CPU the action server and
    # the other servers need (measured: about 20% more messages a second at concurrency
    # 10). Either variable can still be set.
    os.environ.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
    os.environ.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
    log_privacy.install()
    kind_failures.install()
    channel_binding.install()
    speed.install()
    sys.exit(main())
