"""Build macros shared by every uxcom package."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def uxcom_test(name, srcs, deps = [], both_backends = False, env = {}, **kwargs):
    """A doctest test linked with the shared test main.

    Args:
      name: target name.
      srcs: test sources.
      deps: libraries under test.
      both_backends: the test does I/O through net/'s executor. It is then declared twice,
        once per backend, and net/testing's NewExecutor() runs each on its own backend:
        `name` is the io_uring variant (UXCOM_BACKEND=io_uring: it runs on io_uring, or, where
        io_uring is refused, skips visibly and is counted as skipped by tools/test.sh; it never
        passes on epoll) and `name + "_epoll"` the epoll variant (UXCOM_BACKEND=epoll).
        net/core_test asserts that each variant ran on its backend.
      env: environment of the test (both variants); UXCOM_BACKEND is set per variant.
      **kwargs: passed to cc_test (size, tags, data, timeout, ...).
    """
    all_deps = deps + ["//third_party:doctest", "//third_party:doctest_main"]
    kwargs.setdefault("size", "small")
    if not both_backends:
        cc_test(name = name, srcs = srcs, deps = all_deps, env = env, **kwargs)
        return
    for suffix, backend in [("", "io_uring"), ("_epoll", "epoll")]:
        variant_env = dict(env)
        variant_env["UXCOM_BACKEND"] = backend
        cc_test(
            name = name + suffix,
            srcs = srcs,
            deps = all_deps,
            env = variant_env,
            **kwargs
        )
