import sys

from wgan_suite.cli import main

sys.exit(main())
