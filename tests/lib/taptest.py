"""Run unittest test cases and report them as TAP (meson `protocol: 'tap'`).

Usage at the bottom of a test file:

    if __name__ == "__main__":
        taptest.main()

A skipped test is reported as `# SKIP` so meson counts it; CI treats any skip as a failure.
A test marked @unittest.expectedFailure (tests/providers: the KNOWN_FAILING set) that fails is
reported as `not ok ... # TODO REASON` (meson: EXPECTEDFAIL), with its failure as comments;
once it passes it is `ok ... # TODO` (meson: UNEXPECTEDPASS, a failure): drop the mark then.
REASON is the test's todo_reason() when it has one.
"""
import os
import sys
import traceback
import unittest

# Time bounds in tests are generous and scaled (tests/README.md "The rule"): a slow or busy
# machine sets KC_TEST_TIMEOUT_SCALE instead of editing tests.
TIMEOUT_SCALE = float(os.environ.get("KC_TEST_TIMEOUT_SCALE", "1"))


def scaled(seconds):
    """A time bound (seconds, or milliseconds: any unit) stretched by KC_TEST_TIMEOUT_SCALE."""
    return seconds * TIMEOUT_SCALE


class _TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _emit(self, ok, test, extra=""):
        self.n += 1
        name = test.id().split(".", 1)[-1]
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}{extra}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._emit(True, test)

    def _fail(self, test, err):
        self._emit(False, test)
        for line in "".join(traceback.format_exception(*err)).splitlines():
            print("# " + line, flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._emit(True, test, f" # SKIP {reason}")

    def addSubTest(self, test, subtest, err):
        # unittest calls this for each subTest(); report failures as their own TAP lines so
        # a failing subtest is visible (the parent test still reports its own line).
        super().addSubTest(test, subtest, err)  # records the failure in self.failures/errors
        if err is not None:
            self._fail(subtest, err)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        why = test.todo_reason() if hasattr(test, "todo_reason") else "expected failure"
        self._emit(False, test, f" # TODO {why}")
        lines = "".join(traceback.format_exception(*err)).splitlines()
        for line in lines[-3:]:  # what still fails, short: the assertion's message
            print("# " + line, flush=True)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._emit(True, test, " # TODO passes now: drop its expected-failure mark")


def main(module="__main__"):
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module])
    if len(sys.argv) > 1:  # run only tests whose id contains one of the arguments
        flat = []

        def walk(s):
            for t in s:
                if isinstance(t, unittest.TestSuite):
                    walk(t)
                else:
                    flat.append(t)

        walk(suite)
        suite = unittest.TestSuite(t for t in flat if any(a in t.id() for a in sys.argv[1:]))
    print(f"1..{suite.countTestCases()}", flush=True)
    result = _TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)
