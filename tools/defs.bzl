"""Build macros shared by every uxcom package."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def uxcom_test(name, srcs, deps = [], both_backends = False, **kwargs):
    """A doctest test linked with the shared test main.

    Args:
      name: target name.
      srcs: test sources.
      deps: libraries under test.
      both_backends: the test does I/O through net/'s executor. It is then declared twice:
        `name` picks the backend automatically (io_uring when this kernel allows it, else
        epoll) and `name + "_epoll"` forces the epoll backend, so the whole suite runs
        against both.
      **kwargs: passed to cc_test (size, tags, data, timeout, ...).
    """
    all_deps = deps + ["//third_party:doctest", "//third_party:doctest_main"]
    kwargs.setdefault("size", "small")
    cc_test(name = name, srcs = srcs, deps = all_deps, **kwargs)
    if both_backends:
        cc_test(
            name = name + "_epoll",
            srcs = srcs,
            deps = all_deps,
            env = {"UXCOM_BACKEND": "epoll"},
            **kwargs
        )
