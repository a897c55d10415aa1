"""The duplicate index in the database at scale: common keys stay cheap, exact re-submissions
are still found, everything survives a restart, bulk loading equals adding one by one, and
the migration carries an existing index over. Real SQLite (and PostgreSQL when set)."""

from __future__ import annotations

import numpy as np
import pytest
from alembic import command
from sqlalchemy import create_engine, func, select, text

from service.db import Database
from service.dedup_store import SqlKeyStore, _hashes, bulk_load, key_hash
from service.migrate import alembic_config, migrate
from service.models import DedupItem, DedupKeyCount, DedupPosting
from triage.dedup import DuplicateIndex, case_signature

CASES = [
    ("Ông Nguyễn Văn Tâm, chủ tịch UBND xã Tân Lập, thu mỗi hộ 2 triệu đồng tiền làm đường "
    "nhưng không có biên lai, đường làm xong đã nứt."),
    ("Bà Lê Thị Hoa kế toán trường tiểu học Hòa Bình tự ý cắt tiền ăn trưa của học sinh bán trú "
    "từ tháng 9/2025, phụ huynh hỏi thì bảo là quy định."),
    ("Cán bộ địa chính xã Phú Mỹ là anh Trần Quốc Bảo đòi 15 triệu mới ký hồ sơ cấp sổ đỏ cho "
    "nhà tôi, ai không đưa thì hồ sơ nằm đó cả năm."),
    ("Truong thon 3 xa Dong Xuan la ong Pham Van Luc lay dat cong ich cho nguoi nha thue lam "
    "trang trai, dan trong thon phan doi nhung ko ai giai quyet."),
    ("Giám đốc công ty Phát Đạt cho xe chở đất quá tải chạy suốt đêm qua thôn 5, đường hư hết "
    "mà chính quyền xã làm ngơ, nghi có bảo kê."),
    ("Trưởng công an xã Yên Lạc ông Đỗ Minh Khánh uống rượu trong giờ làm việc, say xỉn rồi "
    "quát nạt dân đến làm căn cước, nhiều người thấy."),
]


def _sig(t: str):
    return case_signature(t)


@pytest.fixture
def db(database_url):
    migrate(database_url)
    d = Database(database_url)
    yield d
    d.dispose()


def _count(s, model, *where) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_common_key_stops_collecting_postings_and_is_only_sampled(db):
    common = "n:nguyen van hung"
    with db.transaction() as s:
        store = SqlKeyStore(s, stop_after=5, sample=3)
        for i in range(12):
            sig = _sig(CASES[i % len(CASES)] + f" Ngõ {i}.")
            store.add(f"f{i}", [common, f"own:{i}"], sig, f"c-f{i}")
    with db.read() as s:
        h = key_hash(common)
        assert _count(s, DedupPosting, DedupPosting.key == h) == 5  # no more than the cap
        assert s.scalar(select(DedupKeyCount.n).where(DedupKeyCount.key == h)) == 6  # counting stopped
        store = SqlKeyStore(s, stop_after=5, sample=3)
        # only the common key in common: only its earliest `sample` items come back
        assert store.candidates([common, "other"], limit=12) == ["f0", "f1", "f2"]
        # a key that is not common still brings its item
        assert store.candidates([common, "own:9", "x"], limit=12) == ["f0", "f1", "f2", "f9"]
        # the same key set as an item's (an exact re-submission) brings it first
        assert store.candidates([common, "own:9"], limit=12)[0] == "f9"


def test_exact_resubmission_is_found_when_all_its_keys_are_common(db):
    target = CASES[2]
    keys = _sig(target).keys()
    with db.transaction() as s:
        store = SqlKeyStore(s, stop_after=4, sample=2)
        # other cases that happen to carry every key of the target (and keys of their own)
        for i, other in enumerate(CASES[:2] + CASES[3:] + CASES[:2]):
            store.add(f"o{i}", keys + _sig(other).keys(), _sig(other), f"c-o{i}")
        store.add("target", keys, _sig(target), "c-target")
        store.add("later", keys + ["own:later"], _sig(CASES[4]), "c-later")
    with db.read() as s:
        counts = dict(s.execute(select(DedupKeyCount.key, DedupKeyCount.n)).all())
        assert all(counts[key_hash(k)] > 4 for k in keys)  # every key is common now
        resent = _sig(" ".join(target.split()) + "  ")  # the same text, other spacing
        match = DuplicateIndex(SqlKeyStore(s, stop_after=4, sample=2)).find(resent)
        assert match is not None and match.item_id == "target" and match.similarity > 0.9


def test_the_index_survives_a_restart_and_a_new_process_sees_it(database_url):
    migrate(database_url)
    first = Database(database_url)
    with first.transaction() as s:
        index = DuplicateIndex(SqlKeyStore(s))
        for i, t in enumerate(CASES):
            index.match_and_add(f"f{i}", t)
    first.dispose()
    again = Database(database_url)  # a fresh engine: nothing carried over in memory
    with again.transaction() as s:
        match, cluster, size = DuplicateIndex(SqlKeyStore(s)).match_and_add(
            "resent", "Can bo dia chinh xa Phu My la anh Tran Quoc Bao doi 15 trieu moi ky ho so "
                      "cap so do cho nha toi, ai khong dua thi ho so nam do ca nam.")
    assert match is not None and match.item_id == "f2"
    assert cluster == "c-f2" and size == 2
    again.dispose()


def _tables(s) -> tuple[set, dict, list]:
    postings = set(s.execute(select(DedupPosting.key, DedupItem.feedback_id)
                             .join(DedupItem, DedupItem.id == DedupPosting.item)).all())
    counts = dict(s.execute(select(DedupKeyCount.key, DedupKeyCount.n)).all())
    items = s.execute(select(DedupItem.feedback_id, DedupItem.cluster).order_by(DedupItem.id)).all()
    return postings, counts, items


def test_bulk_load_leaves_what_adding_one_by_one_leaves(db, database_url, tmp_path):
    import json

    cap = 2
    texts = [CASES[i % len(CASES)] + (f" Lần {i}." if i % 4 else "") for i in range(14)]
    sigs = [_sig(t) for t in texts]
    with db.transaction() as s:
        store = SqlKeyStore(s, stop_after=cap)
        for i, sig in enumerate(sigs):
            store.add(f"f{i}", sig.keys(), sig, f"c-f{i}")
    with db.read() as s:
        one_by_one = _tables(s)
    bulk_url = f"sqlite:///{tmp_path / 'bulk.db'}"
    migrate(bulk_url)
    items, hashes = [], []
    for i, sig in enumerate(sigs, start=1):
        hs, exact = _hashes(sig.keys())
        items += [i] * (len(hs) + 1)
        hashes += hs + [exact]
    engine = create_engine(bulk_url)
    with engine.begin() as conn:
        bulk_load(conn, [(i, f"f{i - 1}", json.dumps(sig.to_dict()), f"c-f{i - 1}")
                         for i, sig in enumerate(sigs, start=1)],
                  np.array(items, dtype=np.int64), np.array(hashes, dtype=np.int64), stop_after=cap)
    engine.dispose()
    bulk = Database(bulk_url)
    with bulk.read() as s:
        assert _tables(s) == one_by_one
        assert max(one_by_one[1].values()) == cap + 1  # the test did reach the cap
        # and the bulk-loaded index answers like the other one
        match = DuplicateIndex(SqlKeyStore(s, stop_after=cap)).find(_sig(CASES[1]))
        assert match is not None and match.item_id in {"f1", "f7", "f13"}
    bulk.dispose()


def test_migration_carries_an_existing_index_over(database_url):
    import json

    command.upgrade(alembic_config(database_url), "0003")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for i, t in enumerate(CASES):
            sig = _sig(t)
            conn.execute(text("INSERT INTO dedup_signature (feedback_id, signature, cluster) "
                              "VALUES (:f, :s, :c)"), {"f": f"old{i}", "s": json.dumps(sig.to_dict()),
                                                       "c": f"c-old{i}"})
            conn.execute(text("INSERT INTO dedup_key (key, feedback_id) VALUES (:k, :f)"),
                         [{"k": k, "f": f"old{i}"} for k in dict.fromkeys(sig.keys())])
    engine.dispose()
    migrate(database_url)
    db = Database(database_url)
    with db.transaction() as s:
        match, cluster, size = DuplicateIndex(SqlKeyStore(s)).match_and_add(
            "new", CASES[5].replace("nhiều người thấy", "cả xóm đều biết"))
        assert match is not None and match.item_id == "old5" and (cluster, size) == ("c-old5", 2)
        assert _count(s, DedupItem) == len(CASES) + 1
    db.dispose()


def test_parsed_signatures_are_not_shared_between_databases(tmp_path):
    """The process-wide cache of parsed signatures is per database: the same feedback id
    in another database is another item."""
    urls = [f"sqlite:///{tmp_path}/one.db", f"sqlite:///{tmp_path}/two.db"]
    for url, text in zip(urls, CASES[:2]):
        migrate(url)
        db = Database(url)
        with db.transaction() as s:
            sig = _sig(text)
            SqlKeyStore(s).add("same-id", sig.keys(), sig, "c-same-id")
        db.dispose()
    for url, text in zip(urls, CASES[:2]):
        db = Database(url)
        with db.read() as s:
            got = SqlKeyStore(s).signature("same-id")
            assert got.names == _sig(text).names and got.terms.keys() == _sig(text).terms.keys()
        db.dispose()


def test_key_hashes_at_the_ends_of_64_bits_round_trip_through_the_statements(db):
    """The key hashes go to SQLite as a JSON array and to PostgreSQL as an array: the
    largest and smallest signed 64-bit values must come back as the same integers (read as
    floating point they would miss their rows, and every such key would look new)."""
    ends = [-(2**63), -(2**63) + 1, 2**63 - 1, 2**53 + 1, -(2**53) - 1]
    with db.transaction() as s:
        for i, h in enumerate(ends):
            s.add(DedupKeyCount(key=h, n=i + 1))
    with db.transaction() as s:
        store = SqlKeyStore(s)
        counts = store._read_counts(ends + [12345])
        assert {h: counts[h] for h in ends} == {h: i + 1 for i, h in enumerate(ends)}
        assert counts[12345] == 0


def test_a_clusters_size_counts_its_items_in_every_transaction(db):
    with db.transaction() as s:
        store = SqlKeyStore(s)
        store.add("a1", ["k:a"], _sig(CASES[0]), "c-a1")
        assert store.cluster_size("c-a1") == 1  # started here: known without a query
        store.add("a2", ["k:a"], _sig(CASES[0] + " Gửi lại."), "c-a1")
        store.add("b1", ["k:b"], _sig(CASES[1]), "c-b1")
    with db.transaction() as s:  # another transaction (another process) reads the table
        store = SqlKeyStore(s)
        assert store.cluster_size("c-a1") == 2
        assert store.cluster_size("c-b1") == 1
        assert store.cluster_size("c-none") == 0
