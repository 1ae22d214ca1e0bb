"""How the README test reads blocks and matches shown output against printed output."""

from __future__ import annotations

from tests.docs.readme_blocks import output_matches, parse_blocks, refreshed

README_TEXT = """\
# Title

<!-- readme-test session=walk -->
```console
$ forloeb refer --cpr 150385-1234 \\
      --occurred-on 2026-08-03
course f92bd06f: recorded #1 Referred; state visitation
$ cat > lines.jsonl <<'EOF'
{"command": "refer"}
EOF
$ echo $?
0
```

- a bullet

  ```toml
  [users.mette]
  role = "admin"
  ```

<!-- readme-test skip="needs a server" -->
```sh
make demo
```
"""


def test_a_console_block_is_commands_each_with_the_output_under_it() -> None:
    [console, _, _] = parse_blocks(README_TEXT)

    commands = console.commands()

    assert [c.text for c in commands] == [
        "forloeb refer --cpr 150385-1234 \\\n      --occurred-on 2026-08-03",
        "cat > lines.jsonl <<'EOF'\n{\"command\": \"refer\"}\nEOF",
        "echo $?",
    ]
    assert [c.expected for c in commands] == [
        ["course f92bd06f: recorded #1 Referred; state visitation"], [], ["0"]]
    lines = README_TEXT.splitlines()
    assert lines[commands[0].output_start:commands[0].output_end] == commands[0].expected
    assert lines[commands[2].output_start:commands[2].output_end] == ["0"]


def test_a_marker_belongs_to_the_block_right_after_it() -> None:
    console, toml, sh = parse_blocks(README_TEXT)

    assert console.marker == {"session": "walk"}
    assert toml.marker == {}
    assert sh.marker == {"skip": "needs a server"}


def test_an_indented_block_is_read_without_its_indent() -> None:
    [_, toml, _] = parse_blocks(README_TEXT)

    assert (toml.language, toml.indent) == ("toml", "  ")
    assert toml.lines == ["[users.mette]", 'role = "admin"']


def test_shown_output_must_equal_the_printed_output() -> None:
    assert output_matches(["a", "b"], ["a", "b  ", ""])
    assert not output_matches(["a", "b"], ["a", "c"])
    assert not output_matches(["a"], ["a", "b"])
    assert not output_matches(["a", "b"], ["a"])


def test_a_line_of_three_dots_stands_for_any_run_of_lines() -> None:
    assert output_matches(["head", "...", "tail"], ["head", "x", "y", "tail"])
    assert output_matches(["head", "...", "tail"], ["head", "tail"])
    assert output_matches(["head", "..."], ["head", "x"])
    assert not output_matches(["head", "...", "tail"], ["head", "x", "tail", "more"])
    assert not output_matches(["head", "..."], ["other", "x"])


def test_an_ellipsis_within_a_line_stands_for_any_text_on_that_line() -> None:
    assert output_matches(["created a, …, z"], ["created a, b, c, z"])
    assert not output_matches(["created a, …, z"], ["created a, b, c, y"])


def test_date_times_and_uuids_stand_for_any_other() -> None:
    shown = ["│ 1 │ 2026-08-03 │ 2026-11-24 00:30 │ subject=c03d0f2c-9d26-4db0-ba5b-5f6467c51176"]
    printed = ["│ 1 │ 2026-08-03 │ 2026-12-04 19:32 │ subject=9590cf68-0723-451d-b7a2-546b16b0ab9b"]

    assert output_matches(shown, printed)
    assert not output_matches(shown, [printed[0].replace("2026-08-03", "2026-08-04")])
    assert not output_matches(["course f92bd06f: recorded"], ["course 028ffbcf: recorded"])


def test_refreshing_keeps_what_still_matches_and_takes_the_rest_as_printed() -> None:
    shown = ["created a, …, z", "recorded 2026-11-24 00:30", "old line"]
    printed = ["created a, b, z", "recorded 2026-12-04 19:32", "new line", "added"]

    assert refreshed(shown, printed) == [
        "created a, …, z", "recorded 2026-11-24 00:30", "new line", "added"]


def test_refreshing_keeps_an_abridgement_as_long_as_it_was() -> None:
    shown = ["title", "row 1", "...", "end"]
    printed = ["title 2", "row 1", "row 2", "row 3", "end", "footer"]

    assert refreshed(shown, printed) == ["title 2", "row 1", "...", "footer"]


def test_refreshing_output_that_still_matches_changes_nothing() -> None:
    shown = ["title", "...", "end"]

    assert refreshed(shown, ["title", "x", "end"]) == shown
