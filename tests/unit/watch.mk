# The watchdog's judgement (percore/watch.c): beating, late, silent and
# hung cores, and the vCPU the host did not run for a while.
UNIT_TESTS += watch
UNIT_SRCS_watch := percore/watch.c
UNIT_DEPS_watch := percore/watch.h
