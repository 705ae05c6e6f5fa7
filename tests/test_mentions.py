"""The mention rule (daicho.mentions): the longest login or name after `@`, logins ending where
a word ends, names matched with or without their blanks, mail addresses left alone."""

from __future__ import annotations

from daicho.mentions import Directory, Person, find

PEOPLE = Directory([Person(1, "tanaka", "田中一郎"), Person(2, "tanaka2", "田中"),
                    Person(3, "yamada", "山田 太郎"), Person(4, "sato", "佐藤"),
                    Person(5, "sato.k", "佐藤 恵子"), Person(6, "suzuki", "鈴木"),
                    Person(7, "suzuki-b", "鈴木")])


def _named(text: str) -> list[tuple[str, set[int]]]:
    return [(text[f.start:f.end], set(f.uids)) for f in find(text, PEOPLE)]


def test_the_longest_name_or_login_wins() -> None:
    assert _named("@田中一郎さん、確認をお願いします") == [("@田中一郎", {1})]
    assert _named("@田中さん") == [("@田中", {2})]
    assert _named("@tanaka2 と @tanaka。") == [("@tanaka2", {2}), ("@tanaka", {1})]
    assert _named("@sato.k さん @sato.") == [("@sato.k", {5}), ("@sato", {4})]


def test_logins_end_where_a_word_ends_and_ignore_case() -> None:
    assert _named("@tanakax") == []
    assert _named("@TANAKA 様") == [("@TANAKA", {1})]


def test_names_match_with_or_without_their_blanks_and_full_width_marks() -> None:
    assert _named("＠山田太郎さん") == [("＠山田太郎", {3})]
    assert _named("@山田 太郎さん") == [("@山田 太郎", {3})]


def test_a_shared_name_names_everyone_who_has_it() -> None:
    assert _named("@鈴木さん") == [("@鈴木", {6, 7})]
    assert _named("@suzuki-b") == [("@suzuki-b", {7})]


def test_mail_addresses_and_unknown_names_are_text() -> None:
    assert _named("info@tanaka.jp に送付") == []
    assert _named("@誰か @ 単独") == []
