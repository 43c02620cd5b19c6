"""``make mutate``'s score (include/mutation.py): killed among the mutants that are not equivalent,
with the equivalent list kept true."""

from __future__ import annotations

from include.mutation import Score, by_module, score

KILLED, SURVIVED, NO_TESTS, TIMEOUT = 1, 0, 33, 36


def test_the_score_counts_kills_and_timeouts_among_the_mutants_that_are_not_equivalent():
    codes = {
        "storyblok_traffic.rules.usage.x_a__mutmut_1": KILLED,
        "storyblok_traffic.rules.usage.x_a__mutmut_2": TIMEOUT,
        "storyblok_traffic.rules.usage.x_a__mutmut_3": SURVIVED,
        "storyblok_traffic.rules.usage.x_a__mutmut_4": SURVIVED,
        "storyblok_traffic.rules.forecast.x_b__mutmut_1": NO_TESTS,
    }
    listed = {"storyblok_traffic.rules.usage.x_a__mutmut_4": "a cache key", "gone__mutmut_9": "was equivalent"}
    result = score(codes, listed)
    assert result == Score(
        killed=2,
        survived=["storyblok_traffic.rules.usage.x_a__mutmut_3"],
        equivalent=1,
        untested=["storyblok_traffic.rules.forecast.x_b__mutmut_1"],
        stale=["gone__mutmut_9"],
    )
    assert result.counted == 4
    assert result.percent == 50.0


def test_a_listed_mutant_that_is_killed_now_is_stale():
    result = score({"m__mutmut_1": KILLED}, {"m__mutmut_1": "thought equivalent"})
    assert (result.stale, result.equivalent, result.percent) == (["m__mutmut_1"], 0, 100.0)


def test_mutants_are_counted_by_module():
    names = ["storyblok_traffic.rules.usage.x_a__mutmut_1", "storyblok_traffic.rules.usage.x_b__mutmut_1"]
    assert by_module(names) == {"usage": 2}
