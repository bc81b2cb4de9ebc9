import os
import sys

# rec_helpers.py sits beside the tests (no packages under tests/)
sys.path.insert(0, os.path.dirname(__file__))
