#!/usr/bin/env python3
"""Runs every boot scenario (tests/boot/test_*.py), one emulator at a time.
Console logs of each boot land in build/test-logs/."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
result = unittest.TextTestRunner(verbosity=2).run(suite)
sys.exit(0 if result.wasSuccessful() else 1)
