"""Answer-format scaffolding in a text: the prompt's labels and the JSON answer's pieces, found for `text_shape`.

Input: a text and its language. Output: the offending snippet and what it is, or None for a clean text.
A small base model continues the prompt's form: it writes "Emotion: anger." or "Emotional: anger." inside a
message, starts one with "Messages:" or "Text:", or leaves '"texts":' and braces behind. Three kinds are found:
- a prompt label ("Writer:", "Situation:", "Messages:", "Text:", ...) at the start of the text, of a line or of a
  sentence (after . ! ? or an opening bracket), so "I got your text: call me" is a message, not scaffolding;
- the word emotion (emotion, emotions, emotional) or feeling followed by a colon or '=' anywhere: a real message
  does not say "emotional: anger";
- a quoted JSON field name of an answer followed by a colon ('"texts":', '"emotion":'), a brace, a quote against a
  list bracket ("'],", '["'), or a score in brackets ("(0.28)"): the embedded model leaves them at a text's end;
- a text cut off mid-sentence: it ends with a comma (the embedded model stops there; 1 of 5,272 GoEmotions
  comments does).
Japanese texts: the labels in either language, with an ASCII or full-width colon or in 【】 brackets, after a
line or sentence start (。！？), and full-width braces. The reason names the snippet and says what to drop, so a
rewrite's prompt (agents/drafting.py feeds it back) tells the model what to leave out.
"""

from __future__ import annotations

import re

from personagen.personas.text_units import base_language

LABELS = (r"writer|situation|person|setting|scene|background|examples?|texts?|messages?|answer|output|response|"
          r"label|target")
JSON_FIELDS = r"texts|description|residence|beliefs|emotion|reason|scene|background|message"
LABELS_JA = r"人物|書き手|状況|場面|シーン|感情|気持ち|例|文章|テキスト|メッセージ"
START = r"(?:^|[.!?(\[]\s*)"  # a line or sentence start (MULTILINE: ^ is each line's start)
START_JA = r"(?:^|[.!?(\[。！？「（]\s*)"

EN = (
    re.compile(rf"{START}\s*\b(?:{LABELS})\s*:", re.IGNORECASE | re.MULTILINE),
    re.compile(r"\b(?:emotion(?:s|al)?|feelings?)\s*[:=]", re.IGNORECASE),
)
JA = (
    re.compile(rf"{START_JA}\s*(?:\b(?:{LABELS}|emotion(?:s|al)?|feelings?)\b|{LABELS_JA})\s*[:：]",
               re.IGNORECASE | re.MULTILINE),
    re.compile(rf"【\s*(?:{LABELS_JA})\s*】"),
    re.compile(r"\b(?:emotion(?:s|al)?|feelings?)\s*[:=：]", re.IGNORECASE),
)
QUOTE = "[\"'“”＂]"
DEBRIS = re.compile(rf"[{{}}｛｝]|{QUOTE}texts{QUOTE}|{QUOTE}\s*(?:{JSON_FIELDS})\s*{QUOTE}\s*[:：]|{QUOTE}\s*\]|"
                    rf"\[\s*{QUOTE}|\(\s*[01]?\.\d+\s*\)", re.IGNORECASE)
CUT_OFF = re.compile(r"[,，、]\s*$")

DROP_LABELS = ("text carries the prompt's scaffolding {snippet!r}: write only the message itself, with no "
               "labels such as 'Emotion:', 'Messages:' or 'Text:' and without naming the emotion as a label")
DROP_JSON = ("text carries pieces of the JSON answer format {snippet!r}: write only the message's words, with "
             "no braces, brackets, scores, quotes or field names such as \"texts\"")
DROP_CUT = "text stops mid-sentence at {snippet!r}: write each message to its end"


def snippet_at(text: str, match: re.Match[str], width: int = 30) -> str:
    """The match and what follows it, on one line, at most `width` characters (what the reason quotes)."""
    start = match.start() + len(match.group(0)) - len(match.group(0).lstrip(" \t\n.!?([。！？「（"))
    return quoted(text, start, width)


def quoted(text: str, start: int, width: int = 30) -> str:
    """`width` characters of `text` from `start`, on one line."""
    return " ".join(text[start:start + width].split())


def scaffolding_reason(text: str, language: str | None = "en") -> str | None:
    """Why `text` carries answer-format scaffolding (quoting it and saying what to drop), or None."""
    labels = JA if base_language(language) == "ja" else EN
    for pattern in labels:
        if match := pattern.search(text):
            return DROP_LABELS.format(snippet=snippet_at(text, match))
    if match := DEBRIS.search(text):
        return DROP_JSON.format(snippet=quoted(text, match.start()))
    if CUT_OFF.search(text):
        return DROP_CUT.format(snippet=quoted(text, max(0, len(text.rstrip()) - 30)))
    return None
