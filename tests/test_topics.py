"""Topics: editor sections, inferred topics that stay put, labels that name a subject."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from digest.analyse import analyse_file
from digest.config import Config, Section, load_config
from digest.load import SourceFile
from digest.models import Article, DigestError, Story, Topic
from digest.topic_labels import is_generic
from digest.topics import OTHER_LABEL, assign_topics

# Three subjects, five stories each: sentences of each subject's vocabulary in
# different mixes, so stories of one subject are alike and unlike the others.
SUBJECTS = {
    "space": [
        "NASA launched the Artemis rocket from Cape Canaveral toward the Moon.",
        "The lunar lander carried astronauts and a rover to the Moon's south pole.",
        "Engineers at NASA tracked the Orion capsule and its heat shield.",
        "The Artemis mission tested the rocket boosters and the lunar orbit.",
        "Astronauts trained for the lunar landing with the Orion crew capsule.",
        "The rocket's upper stage fired to send Orion toward the Moon.",
    ],
    "football": [
        "Arsenal beat Chelsea in the Premier League derby at the Emirates.",
        "The striker scored twice as Arsenal moved top of the Premier League table.",
        "Chelsea's manager blamed the referee for the penalty in the derby.",
        "Premier League clubs agreed the transfer window rules for strikers.",
        "The goalkeeper saved a penalty as Chelsea drew with Arsenal.",
        "Supporters sang as the striker celebrated the derby goal.",
    ],
    "vaccine": [
        "The vaccine trial enrolled volunteers at hospitals in Oxford.",
        "Regulators approved the malaria vaccine after the clinical trial.",
        "Doctors reported the vaccine's antibodies lasted a year in volunteers.",
        "The clinical trial of the malaria vaccine found few side effects.",
        "Hospitals in Oxford began vaccinating volunteers against malaria.",
        "Researchers measured antibodies in trial volunteers after each dose.",
    ],
}


def body(subject: str, n: int) -> str:
    lines = SUBJECTS[subject]
    picked = [lines[(n + k) % len(lines)] for k in range(4)]
    return " ".join(picked)


def article(
    name: str,
    text: str,
    date: str,
    tags: tuple[str, ...] = (),
    section: str | None = None,
) -> Article:
    front = [f"title: {text.split('.')[0]}", f"date: {date}"]
    if tags:
        front.append("tags: [" + ", ".join(tags) + "]")
    if section:
        front.append(f"section: {section}")
    data = ("---\n" + "\n".join(front) + "\n---\n\n" + text + "\n").encode()
    result = analyse_file(SourceFile(f"{name}.md", data), name, Config())
    assert isinstance(result, Article), result
    return result


def story_of(a: Article) -> Story:
    return Story(
        id=f"story-{a.id}",
        title=a.title,
        articles=(a.id,),
        duplicates=(),
        keywords=a.keywords,
        summary=(),
        cohesion=1.0,
        date=a.meta.date,
    )


def corpus(**extra: tuple[str, ...]) -> dict[str, Article]:
    """Five stories on each subject, dated one a day."""
    out = {}
    for s, subject in enumerate(sorted(SUBJECTS)):
        for n in range(5):
            name = f"{subject}-{n}"
            out[name] = article(name, body(subject, n), f"2024-05-{10 + n:02d}T{s:02d}:00:00Z")
    return out


def topics_of(
    articles: dict[str, Article], config: Config | None = None
) -> tuple[list[Topic], dict[str, str]]:
    stories = [story_of(a) for a in articles.values()]
    topics = assign_topics(stories, articles, config or Config())
    return topics, {story: t.id for t in topics for story in t.stories}


def members(topics: list[Topic], topic_id: str) -> set[str]:
    (topic,) = [t for t in topics if t.id == topic_id]
    return {s.removeprefix("story-") for s in topic.stories}


def test_inferred_topics_gather_each_subject() -> None:
    topics, topic_of = topics_of(corpus())
    for subject in SUBJECTS:
        ids = {topic_of[f"story-{subject}-{n}"] for n in range(5)}
        assert len(ids) == 1, (subject, ids)
        assert members(topics, ids.pop()) == {f"{subject}-{n}" for n in range(5)}
    assert OTHER_LABEL not in [t.label for t in topics]


def test_topic_id_is_one_of_its_stories() -> None:
    topics, topic_of = topics_of(corpus())
    for subject in SUBJECTS:
        topic_id = topic_of[f"story-{subject}-0"]
        assert topic_id.removeprefix("story-") in members(topics, topic_id)


def test_adding_an_unrelated_story_keeps_every_other_topic() -> None:
    articles = corpus()
    _, before = topics_of(articles)
    odd = article("odd", "The bakery sold sourdough loaves and croissants.", "2024-05-09")
    topics, after = topics_of({**articles, "odd": odd})
    stories = [story_of(a) for a in {**articles, "odd": odd}.values()]
    assert {k: after[k] for k in before} == before
    (other,) = [t for t in topics if t.label == OTHER_LABEL]
    assert other.stories == ("story-odd",)
    first = [min(t.stories, key=lambda s: [x.id for x in stories].index(s)) for t in topics]
    order = [x.id for x in stories]
    assert [order.index(s) for s in first] == sorted(order.index(s) for s in first)


def test_a_story_joining_a_topic_keeps_its_id() -> None:
    articles = corpus()
    _, before = topics_of(articles)
    # a story at the topic's edge: two of its sentences, two about something else
    edge = " ".join([*SUBJECTS["space"][:2], "The bakery sold sourdough.", "Rain fell."])
    new = article("space-new", edge, "2024-05-01")  # older than every other story
    _, after = topics_of({**articles, "space-new": new})
    assert {k: after[k] for k in before} == before
    assert after["story-space-new"] == before["story-space-0"], "the same topic, same id"


def test_small_groups_go_to_other_stories() -> None:
    articles = {k: v for k, v in corpus().items() if not k.startswith("vaccine-")}
    articles |= {n: corpus()[n] for n in ("vaccine-0", "vaccine-1")}
    topics, topic_of = topics_of(articles)
    other = [t for t in topics if t.label == OTHER_LABEL]
    assert topic_of["story-vaccine-0"] == other[0].id == "other-stories"
    assert len({topic_of[f"story-space-{n}"] for n in range(5)}) == 1


def test_same_input_same_topics() -> None:
    """Same stories, same topics (byte for byte); stories given in another order
    keep their topics, ids and labels (topics and their stories follow the order given)."""
    articles = corpus()
    first, _ = topics_of(articles)
    assert pickle.dumps(first) == pickle.dumps(topics_of(corpus())[0])
    second, _ = topics_of(dict(reversed(list(articles.items()))))
    assert sorted((t.id, t.label, sorted(t.stories)) for t in first) == sorted(
        (t.id, t.label, sorted(t.stories)) for t in second
    )


def test_labels_name_the_subject_and_never_a_generic_word() -> None:
    topics, topic_of = topics_of(corpus())
    labels = {topic_of[f"story-{s}-0"]: s for s in SUBJECTS}
    for topic in topics:
        words = topic.label.split(" · ")
        assert not any(is_generic(w, "en") for w in words), topic.label
    by_subject = {labels[t.id]: t.label for t in topics if t.id in labels}
    assert any(w in by_subject["space"] for w in ("NASA", "Artemis", "Orion", "Moon", "lunar"))
    assert any(w in by_subject["football"] for w in ("Arsenal", "Chelsea", "Premier League"))
    assert any(w in by_subject["vaccine"] for w in ("vaccine", "malaria", "Oxford"))


@pytest.mark.parametrize("word", ["people", "report", "game", "set", "net", "Top", "year"])
def test_common_words_are_generic(word: str) -> None:
    assert is_generic(word, "en")


@pytest.mark.parametrize("word", ["Arsenal", "malaria", "smartphone", "Premier League", "MH370"])
def test_subjects_are_not_generic(word: str) -> None:
    assert not is_generic(word, "en")


SPORT = Section("Sport", words=("Premier League", "striker", "derby", "penalty"))
HEALTH = Section("Health", tags=("health",))


def test_stories_go_to_the_section_their_words_match() -> None:
    topics, topic_of = topics_of(corpus(), Config(sections=(SPORT,)))
    assert members(topics, "sport") == {f"football-{n}" for n in range(5)}
    assert [t.label for t in topics if t.id == "sport"] == ["Sport"]
    # unmatched stories still get inferred topics
    assert len({topic_of[f"story-space-{n}"] for n in range(5)}) == 1
    assert topic_of["story-space-0"].startswith("story-space-")


def test_stories_go_to_the_section_of_their_tags() -> None:
    articles = corpus()
    tagged = article("vaccine-9", body("vaccine", 1), "2024-05-30", tags=("Health",))
    untagged_odd = article("odd", "The bakery sold sourdough loaves.", "2024-05-30", ("health",))
    articles |= {"vaccine-9": tagged, "odd": untagged_odd}
    topics, topic_of = topics_of(articles, Config(sections=(HEALTH,)))
    assert members(topics, "health") == {"vaccine-9", "odd"}
    assert topic_of["story-vaccine-0"] != "health", "no tag, no seed words: inferred"


def test_front_matter_section_beats_editor_sections() -> None:
    articles = corpus()
    articles["football-0"] = article(
        "football-0", body("football", 0), "2024-05-10", section="Derby day"
    )
    topics, topic_of = topics_of(articles, Config(sections=(SPORT,)))
    assert topic_of["story-football-0"] == "derby-day"
    assert "football-0" not in members(topics, "sport")


def test_a_weak_match_is_left_for_inferred_topics() -> None:
    weak = Section("Weak", words=("volunteers",))  # one word of a long story
    _, topic_of = topics_of(corpus(), Config(sections=(weak,), section_min_score=0.5))
    assert "weak" not in topic_of.values()


def test_sections_load_from_digest_toml(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text(
        'title = "T"\n[[sections]]\nname = "Sport"\nwords = ["derby"]\n'
        '[[sections]]\nname = "Health"\ntags = ["health"]\n',
        "utf-8",
    )
    config, _ = load_config(path, environ={})
    assert config.sections == (Section("Sport", ("derby",)), Section("Health", (), ("health",)))
    again = config.with_overrides(title="U")
    assert again.sections == config.sections


def test_section_errors_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text(
        '[[sections]]\nname = ""\nwords = [1]\n'
        '[[sections]]\nname = "A"\n'
        '[[sections]]\nname = "a"\ntags = ["x"]\ncolour = "red"\n'
        "section_min_score = 2\n",
        "utf-8",
    )
    with pytest.raises(DigestError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    for fault in (
        "sections[1]: 'name' must be non-empty text",
        "sections[1]: 'words' must be a list of non-empty texts",
        "sections[2]: give the section some 'words' or 'tags'",
        "sections[3]: unknown key 'colour'",
        "sections[3]: the name 'a' is used by an earlier section",
    ):
        assert fault in message


def test_sections_must_be_tables_and_not_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text('sections = "Sport"\nsection_min_score = 0\n', "utf-8")
    with pytest.raises(DigestError, match="'sections' must be an array of tables"):
        load_config(path, environ={})
    with pytest.raises(DigestError, match="DIGEST_SECTIONS is not supported"):
        load_config(None, environ={"DIGEST_SECTIONS": "Sport"})
    with pytest.raises(DigestError, match="'section_min_score' must be above 0"):
        dataclasses.replace(Config()).with_overrides(section_min_score=0.0)


LONG_MATCH_REPORT = (
    "Arsenal travelled north on Saturday with a squad weakened by injuries and a long "
    "list of doubts over fitness. The manager named a young goalkeeper, the third choice "
    "this season, after the first two were ruled out in training on Thursday. Supporters "
    "filled the away end early and sang through the warm-up. The hosts pressed high from "
    "the first whistle, forcing two corners inside five minutes, and the visitors needed "
    "a clearance off the line before they settled. Arsenal's captain steadied the midfield, "
    "and a patient move down the right ended with a low cross that was turned in at the "
    "near post just before half-time. After the break the hosts changed their shape, added "
    "a second striker and hit the bar twice. A penalty appeal was waved away by the "
    "referee, to loud protests from the home bench. The visitors held on for a win that "
    "lifts them into the top four, and the manager praised the goalkeeper's calm handling "
    "of crosses in the closing minutes of the match."
)


def test_a_full_length_report_reaches_its_section_by_a_few_seed_words() -> None:
    # Real reports use hundreds of words, a seed word or two among them: the match must
    # not need the seed words to hold most of the story's weight.
    sport = Section("Sport", ("match", "league", "referee", "goalkeeper", "penalty"), ())
    business = Section("Business", ("shares", "profits", "market", "economy", "bank"), ())
    articles = {"report": article("report", LONG_MATCH_REPORT, "2024-05-10T10:00:00Z")}
    articles |= {k: v for k, v in corpus().items() if k.startswith("space-")}
    topics, topic_of = topics_of(articles, Config(sections=(sport, business)))
    labels = {t.id: t.label for t in topics}
    assert labels[topic_of["story-report"]] == "Sport"
    assert all(labels[topic_of[f"story-space-{n}"]] != "Sport" for n in range(5))


def _unit_rows(seed: int, n: int, width: int) -> object:
    """n sparse non-negative rows of unit length, a fixed seed."""
    import numpy as np
    from scipy import sparse

    rng = np.random.default_rng(seed)
    dense = rng.random((n, width)) * (rng.random((n, width)) < 0.15)
    dense[:, 0] += 0.05  # every row non-empty
    dense /= np.linalg.norm(dense, axis=1)[:, None]
    return sparse.csr_matrix(dense)


def _brute_average_link(
    dense: object, groups: list[list[int]], threshold: float
) -> set[frozenset[int]]:
    """Average link continued from `groups`, every pair of rows compared: merge the
    pair of groups with the highest mean similarity while it is at least `threshold`."""
    import numpy as np

    sims = np.asarray(dense) @ np.asarray(dense).T
    current = [list(g) for g in groups]
    while len(current) > 1:
        best, pair = -1.0, (0, 0)
        for x in range(len(current)):
            for y in range(x + 1, len(current)):
                mean = float(sims[np.ix_(current[x], current[y])].mean())
                if mean > best:
                    best, pair = mean, (x, y)
        if best < threshold:
            break
        x, y = pair
        current[x] += current.pop(y)
    return {frozenset(g) for g in current}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_broader_topics_continue_average_link_exactly(seed: int) -> None:
    """Linking groups by their summed vectors gives what average link over every
    pair of stories gives when continued from the same groups (fewer groups than
    NEIGHBOURS, so each group sees every other)."""
    from digest.topics import _broader

    rows = _unit_rows(seed, 36, 60)
    dense = rows.toarray()  # type: ignore[attr-defined]
    start = [[i, i + 1] for i in range(0, 12, 2)] + [[i] for i in range(12, 36)]
    for threshold in (0.15, 0.2, 0.3):
        found = {frozenset(g) for g in _broader(rows, start, threshold)}
        assert found == _brute_average_link(dense, start, threshold)
        assert len(found) < len(start)  # something was linked


def test_background_is_the_mean_similarity_of_two_stories() -> None:
    import numpy as np

    from digest.topics import _background

    rows = _unit_rows(4, 30, 40)
    sims = rows.toarray() @ rows.toarray().T  # type: ignore[attr-defined]
    mean = (sims.sum() - np.trace(sims)) / (30 * 29)
    assert _background(rows) == pytest.approx(mean, rel=1e-12)


def test_fine_topics_of_one_section_join_and_sections_stay_apart() -> None:
    """Four sections of two sub-subjects each (7 and 5 stories): stories of a
    sub-subject share words (cosine 0.37), sub-subjects of a section share one word
    (0.07, under topic_threshold but well above the digest's mean of 0.049),
    sections share nothing. Each section becomes one topic, and its core (where
    its id is chosen) is its larger sub-subject."""
    import numpy as np
    from scipy import sparse

    from digest.topics import _infer_groups

    sizes = [7, 5] * 4
    part_of = [part for part, size in enumerate(sizes) for _ in range(size)]
    n = len(part_of)
    dense = np.zeros((n, 4 + len(sizes) + n))
    for i, part in enumerate(part_of):
        dense[i, part // 2] = 0.07**0.5  # the section's word
        dense[i, 4 + part] = 0.30**0.5  # the sub-subject's word
        dense[i, 4 + len(sizes) + i] = 0.63**0.5  # its own word
    stories = [
        Story(
            id=f"s{i:02d}",
            title="",
            articles=(),
            duplicates=(),
            keywords=(),
            summary=(),
            cohesion=1.0,
            date=None,
        )
        for i in range(n)
    ]
    groups, cores, rest = _infer_groups(list(range(n)), stories, sparse.csr_matrix(dense), Config())
    assert rest == []
    sections = {frozenset(i for i in range(n) if part_of[i] // 2 == s) for s in range(4)}
    assert {frozenset(g) for g in groups} == sections
    for group, core in zip(groups, cores, strict=True):
        assert len(core) == 7 and set(core) < set(group)
        assert len({part_of[i] for i in core}) == 1


@pytest.mark.parametrize(
    ("word", "language"),
    [("December", "en"), ("Monday", "en"), ("janvier", "fr"), ("Dezember", "de")],
)
def test_month_and_weekday_names_never_label_a_topic(word: str, language: str) -> None:
    # a business section of the speed corpus was labelled "December · Japan"
    assert is_generic(word, language)
    assert not is_generic("Yukos", language)


def test_a_labels_words_stay_in_alphabetical_order_whatever_they_weigh() -> None:
    from digest.models import Keyword
    from digest.topic_labels import label_groups

    def story(n: int, keys: list[str]) -> Story:
        kws = tuple(Keyword(k, k.casefold(), 1.0) for k in keys)
        return Story(f"s{n}", f"Story {n}", (f"a{n}",), (), kws, (), 0.5, None)

    # "Yukos" is in every story of the first group, "Moscow" in two of three: by weight
    # the label would read "Yukos · Moscow"; a story more with Moscow would swap them
    first = [story(0, ["Yukos", "Moscow"]), story(1, ["Yukos", "Moscow"]), story(2, ["Yukos"])]
    second = [story(3, ["Arsenal", "Chelsea"]), story(4, ["Arsenal", "Chelsea"])]
    labels = label_groups([first, second], "en")
    assert labels == ["Moscow · Yukos", "Arsenal · Chelsea"]
    more = [*first, story(5, ["Moscow"]), story(6, ["Moscow"])]
    assert label_groups([more, second], "en")[0] == "Moscow · Yukos"
