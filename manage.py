#!/usr/bin/env python
from sigap.cli import main

if __name__ == "__main__":
    main()
