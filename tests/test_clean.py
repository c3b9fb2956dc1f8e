"""Cleaning: boilerplate, captions, plugs and comments out; encoding and markup repaired."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.clean import analysis_text, clean_document, is_boilerplate, repair_text
from digest.load import SourceFile, load_document
from digest.models import Block, Document, Meta

SEEDS = Path(__file__).resolve().parents[1] / "content"


def doc_of(*blocks: Block | str, meta: Meta | None = None) -> Document:
    """A document of paragraphs (plain strings) and other blocks."""
    made = tuple(Block("p", b) if isinstance(b, str) else b for b in blocks)
    return Document(path="a.txt", meta=meta or Meta(), blocks=made)


def cleaned(*blocks: Block | str, meta: Meta | None = None) -> list[str]:
    """The texts left after cleaning the given blocks."""
    doc = clean_document(doc_of(*blocks, meta=meta))
    return [t for b in doc.blocks for t in b.texts()]


def seed(prefix: str) -> Document:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    doc = load_document(SourceFile(path.name, path.read_bytes()))
    assert isinstance(doc, Document), doc
    return clean_document(doc)


def seed_text(prefix: str) -> str:
    return "\n".join(t for b in seed(prefix).blocks for t in b.texts())


BODY = "The convoy stopped 200 km short of Moscow on Saturday evening."


# --------------------------------------------------------------------------- promos


@pytest.mark.parametrize(
    "promo",
    [
        "Follow the latest news here",
        "Follow our live coverage",
        "Most read in The Sun",
        "READ MORE: Putin's next move",
        "Advertisement",
        "Sign up for our free newsletter",
        "Click here to watch the video",
        "Related articles",
        "© Reuters 2023",
    ],
)
def test_promo_lines_are_removed(promo):
    assert cleaned(BODY, promo, "Second paragraph of the story.") == [
        BODY,
        "Second paragraph of the story.",
    ]


def test_promo_prefix_glued_to_first_paragraph_is_cut():
    assert cleaned("Follow the latest news here The chief of Wagner has left.") == [
        "The chief of Wagner has left."
    ]


def test_promo_prefix_in_html_fragment_is_cut():
    html = (
        '<b>Follow the </b><a href="https://example.com/live" target="_blank"><b>latest news'
        "</b></a><b> here</b> The chief of the Wagner force has left Russia for "
        '<a href="https://example.com/tags/belarus/" target="_blank">Belarus</a>.'
    )
    doc = load_document(SourceFile("frag.txt", html.encode()))
    assert isinstance(doc, Document)
    assert [b.text for b in clean_document(doc).blocks] == [
        "The chief of the Wagner force has left Russia for Belarus."
    ]


def test_sentence_that_starts_like_a_promo_stays():
    text = "Follow the money, investigators said, and the trail leads to Wagner's mines."
    assert cleaned(text) == [text]
    text = "Most read newspapers in Russia did not mention the mutiny at all on Saturday."
    assert cleaned(text) == [text]


# --------------------------------------------------------------------------- captions


def test_photo_caption_and_credit_are_removed():
    assert cleaned(
        "Members of Wagner group sit atop of a tank in a street in the city of "
        "Rostov-on-Don, on Ju",
        "ROMAN ROMOKHOV/AFP via Getty Images",
        BODY,
    ) == [BODY]


@pytest.mark.parametrize(
    "credit",
    ["Reuters", "(AP Photo)", "Photo: Jane Roe", "Photograph: John Smith", "Getty Images"],
)
def test_credit_lines_are_removed(credit):
    assert cleaned(credit, BODY) == [BODY]


def test_long_paragraph_before_a_credit_is_not_a_caption():
    long = " ".join(["The convoy moved north through the region towards the capital."] * 4)
    assert cleaned(long, "Reuters") == [long]


def test_seed_003_caption_and_credit_gone():
    text = seed_text("003")
    assert "sit atop of a tank" not in text
    assert "Getty" not in text
    assert text.startswith("Belarusian dictator Alexander Lukashenko")


# --------------------------------------------------------------------------- plugs


@pytest.mark.parametrize(
    "plug",
    [
        "Follow Kurt Zindulka on Twitter: or e-mail to: kzindulka@breitbart.com",
        "Follow us on Twitter and Facebook",
        "Find us at facebook.com/thesun",
        "Like us on Facebook!",
        "Join our channel on Telegram @news_channel",
    ],
)
def test_author_and_social_plug_lines_are_removed(plug):
    assert cleaned(BODY, plug) == [BODY]


@pytest.mark.parametrize(
    "plug",
    [
        "Follow Kurt Zindulka on Twitter: or e-mail to: kzindulka@breitbart.com",
        "Follow him on Twitter @kurtz.",
        "Email the author at jane.roe@example.com.",
    ],
)
def test_author_plug_trailing_a_paragraph_is_cut(plug):
    assert cleaned(f"{BODY} {plug}") == [BODY]


@pytest.mark.parametrize(
    "text",
    [
        "Michael McFaul, a former US ambassador to Russia, said on Twitter that Russia was "
        "now facing a civil war.",
        "Twitter users reacted with anger and disbelief to the Kremlin's announcement.",
        "Like many Russians on Telegram, supporters of the group shared videos of the convoy "
        "as it moved north through the Voronezh region.",
        "Follow the money, he wrote on Twitter, and you will find the Kremlin.",
    ],
)
def test_sentences_that_mention_social_media_stay(text):
    assert cleaned(text) == [text]


@pytest.mark.parametrize(
    "sentence",
    [
        "Contact with the convoy was lost, the ministry said on Twitter.",
        "Reach for the stars, Prigozhin wrote on Telegram.",
    ],
)
def test_trailing_sentence_that_mentions_social_media_stays(sentence):
    assert cleaned(f"{BODY} {sentence}") == [f"{BODY} {sentence}"]


def test_seed_003_plug_gone_quotes_kept():
    text = seed_text("003")
    assert "Zindulka" not in text
    assert "breitbart.com" not in text
    assert text.endswith("soberly-minded political forces abroad.”")


# --------------------------------------------------------------------------- comments


def test_comment_section_and_all_after_it_are_removed():
    assert cleaned(
        BODY,
        "COMMENTS",
        "Please let us know if you're having issues with commenting.",
        "A reader wrote a long comment about the state of the world today.",
    ) == [BODY]


@pytest.mark.parametrize(
    "start", ["Comments", "12 comments", "Join the conversation", "Comments (4)"]
)
def test_comment_section_starts(start):
    assert cleaned(BODY, start, "Some reader comment that goes on and on.") == [BODY]


def test_paragraph_about_comments_is_not_a_comment_section():
    text = "Comments by Peskov on Saturday suggested the case would be closed."
    assert cleaned(BODY, text) == [BODY, text]


def test_seed_003_comment_section_gone():
    text = seed_text("003")
    assert "COMMENTS" not in text
    assert "commenting" not in text


# --------------------------------------------------------------------------- repair


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("theâ€™s", "the’s"),
        ("Â£5 million", "£5 million"),
        ("Putinâ€™s forces", "Putin’s forces"),
        ("a â€œquoteâ€\x9d here", "a “quote” here"),
        ("Putin\ufffds forces", "Putin’s forces"),
        ("they don\ufffdt know", "they don’t know"),
        ("a <b>bold</b> word", "a bold word"),
        ("Smith &amp; Sons &quot;quoted&quot; &#8217;", 'Smith & Sons "quoted" ’'),
        ("&lt;script&gt;alert(1)&lt;/script&gt; text", "alert(1) text"),
        ("file\u202egnp.exe", "filegnp.exe"),
        ("\u2066isolated\u2069 text", "isolated text"),
        ("zero\u200bwidth", "zerowidth"),
        ("  spaced \u00a0 out\n\ttext  ", "spaced out text"),
        ("bell\x07 char", "bell char"),
    ],
)
def test_repair_text(broken, fixed):
    assert repair_text(broken) == fixed


def test_repair_keeps_typographic_quotes():
    text = "Putin’s “quote” – a dash"
    assert repair_text(text) == text


def test_repair_drops_other_replacement_characters():
    assert repair_text("Lost \ufffd char") == "Lost char"


def test_analysis_text_plain_quotes_and_dashes():
    assert analysis_text("Putin’s “quote” – ﬁne") == 'Putin\'s "quote" - fine'


def test_clean_repairs_meta_fields():
    doc = clean_document(
        doc_of(
            BODY, meta=Meta(title="Putinâ€™s &amp; <i>x</i>", author="Jâ€™ Roe", source="A\u202eB")
        )
    )
    assert doc.meta.title == "Putin’s & x"
    assert doc.meta.author == "J’ Roe"
    assert doc.meta.source == "AB"


def test_blocks_that_repair_to_nothing_are_dropped():
    assert cleaned("<br>", "\u200b", BODY) == [BODY]


# --------------------------------------------------------------------------- structure


def test_lists_stay_lists():
    doc = clean_document(
        doc_of(
            BODY,
            Block("ul", items=("Wagner forces retreated", "Putin said: “This is treason”")),
            Block("ol", items=("one thing", "Advertisement", "another thing")),
        )
    )
    assert [(b.kind, b.texts()) for b in doc.blocks] == [
        ("p", (BODY,)),
        ("ul", ("Wagner forces retreated", "Putin said: “This is treason”")),
        ("ol", ("one thing", "another thing")),
    ]


def test_seed_002_bullet_list_survives_and_promo_goes():
    doc = seed("002")
    lists = [b for b in doc.blocks if b.kind == "ul"]
    assert len(lists) == 1
    assert len(lists[0].items) == 11
    assert lists[0].items[0].startswith("Wagner Group forces were in open rebellion")
    text = seed_text("002")
    assert "Most read in The Sun" not in text
    assert "said on Twitter that Russia was now facing" in text  # news, not a plug


def test_seed_000_and_001_promo_gone():
    for prefix in ("000", "001"):
        text = seed_text(prefix)
        assert "Follow the latest news here" not in text
        assert text.startswith("The chief of")


def test_heading_first_becomes_headline_unless_meta_has_title():
    heading = Block("h", "Wagner chief flees to Belarus")
    doc = clean_document(doc_of(heading, BODY))
    assert doc.headline == "Wagner chief flees to Belarus"
    assert [b.text for b in doc.blocks] == [BODY]
    doc = clean_document(doc_of(heading, BODY, meta=Meta(title="Meta title")))
    assert doc.headline is None
    assert [b.kind for b in doc.blocks] == ["h", "p"]


def test_promo_heading_does_not_become_headline():
    doc = clean_document(doc_of(Block("h", "Follow the latest news here"), BODY))
    assert doc.headline is None
    assert [b.text for b in doc.blocks] == [BODY]


def test_clean_is_pure():
    doc = doc_of("Follow the latest news here", "Putin\ufffds forces")
    before = repr(doc)
    assert clean_document(doc) == clean_document(doc)
    assert repr(doc) == before


@pytest.mark.parametrize(
    "text",
    [
        BODY,
        "Presidential aide Mykhailo Podolyak said there was no longer a monopoly on violence.",
        "He said: “We are going all the way.”",
    ],
)
def test_news_sentences_are_not_boilerplate(text):
    assert not is_boilerplate(text)
