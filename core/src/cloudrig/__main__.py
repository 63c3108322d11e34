"""``python -m cloudrig``: the same command line as the ``cloudrig`` script."""

from cloudrig._cli import main

if __name__ == "__main__":
    main()
