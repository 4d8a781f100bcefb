"""The verifier's checks: small deterministic functions `check_<name>(wiki, repo, cfg) -> CheckResult`.

Each returns a metric in [0, 1] plus findings (page, line, what, why) explaining every point taken away; `reward.py`
combines them with the weights in `weights-v1.yaml`. Checks read the parsed `Wiki` and the cached `RepoIndex`; none
touches the filesystem or the network.
"""
