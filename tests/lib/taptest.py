"""Run unittest test cases and report them as TAP (meson `protocol: 'tap'`).

Usage at the bottom of a test file:

    if __name__ == "__main__":
        taptest.main()

A skipped test is reported as `# SKIP` so meson counts it; CI treats any skip as a failure.
A test marked with known_failing() is reported as TAP TODO (see _TapResult).
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

    # A known failure (unittest.expectedFailure, see known_failing()) is TAP's TODO: "not ok
    # ... # TODO reason", which meson counts as an expected failure; its traceback follows as
    # diagnostics. Once it passes it is "ok ... # TODO", meson's UNEXPECTEDPASS, a failure of
    # the suite: the mark must then be removed.
    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._emit(False, test, f" # TODO {_todo_reason(test)}")
        for line in "".join(traceback.format_exception(*err)).splitlines():
            print("# " + line, flush=True)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._emit(True, test, f" # TODO passes now, remove its known-failing mark: "
                               f"{_todo_reason(test)}")


def _todo_reason(test):
    method = getattr(test, getattr(test, "_testMethodName", ""), None)
    if hasattr(method, "_kc_todo"):
        return method._kc_todo
    return test.todo_reason() if hasattr(test, "todo_reason") else "expected failure"


def known_failing(cls, reasons):
    """Marks cls's tests named in reasons ({method name: why}) as expected failures,
    reported "not ok N - name # TODO why". Names that are not tests of cls are an error
    (a renamed test must not silently lose its mark)."""
    for name, why in reasons.items():
        method = getattr(cls, name, None)
        if method is None or not name.startswith("test"):
            raise AttributeError(f"known_failing: {cls.__name__} has no test {name}")
        marked = unittest.expectedFailure(method)
        marked._kc_todo = why
        setattr(cls, name, marked)
    return cls


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
    if result.expectedFailures:
        print(f"# {len(result.expectedFailures)} known failing (TODO):", flush=True)
        for test, _ in result.expectedFailures:
            print(f"#   {test.id().split('.', 1)[-1]}: {_todo_reason(test)}", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)
