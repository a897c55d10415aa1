"""duplicate index at scale: integer item ids, 64-bit key hashes, key counts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:10:00

dedup_key(key VARCHAR, feedback_id VARCHAR) and dedup_signature become dedup_item (an
integer id per item), dedup_posting(key BIGINT hash, item INTEGER) capped per key, and
dedup_key_count. The postings are rebuilt from the stored signatures (the keys are a
function of the signature), so no key string is needed from the old table.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _keys_of(signature: dict) -> list[str]:
    from triage.dedup import CaseSignature

    return CaseSignature.from_dict(signature).keys()


def upgrade() -> None:
    import numpy as np

    from service.dedup_store import STOP_AFTER, capped_postings, exact_key, key_hash

    op.create_table('dedup_item',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('feedback_id', sa.String(length=32), nullable=False),
    sa.Column('signature', sa.JSON(), nullable=False),
    sa.Column('cluster', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('feedback_id')
    )
    with op.batch_alter_table('dedup_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dedup_item_cluster'), ['cluster'], unique=False)
    op.create_table('dedup_posting',
    sa.Column('key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('item', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('key', 'item'),
    sqlite_with_rowid=False
    )
    op.create_table('dedup_key_count',
    sa.Column('key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    sqlite_with_rowid=False
    )

    bind = op.get_bind()
    old = sa.table('dedup_signature', sa.column('feedback_id', sa.String),
                   sa.column('signature', sa.JSON), sa.column('cluster', sa.String))
    item_t = sa.table('dedup_item', sa.column('id', sa.Integer), sa.column('feedback_id', sa.String),
                      sa.column('signature', sa.JSON), sa.column('cluster', sa.String))
    rows = bind.execute(sa.select(old.c.feedback_id, old.c.signature, old.c.cluster)
                        .order_by(old.c.feedback_id)).all()
    items, hashes = [], []
    for i, (fid, sig, cluster) in enumerate(rows, start=1):
        bind.execute(sa.insert(item_t).values(id=i, feedback_id=fid, signature=sig, cluster=cluster))
        keys = _keys_of(sig)
        hs = list(dict.fromkeys([key_hash(k) for k in keys] + [exact_key(keys)]))
        items += [i] * len(hs)
        hashes += hs
    if items:
        ckeys, counts, pkeys, pitems = capped_postings(
            np.array(items, dtype=np.int64), np.array(hashes, dtype=np.int64), stop_after=STOP_AFTER)
        bind.execute(sa.table('dedup_key_count', sa.column('key'), sa.column('n')).insert(),
                     [{"key": k, "n": n} for k, n in zip(ckeys.tolist(), counts.tolist())])
        bind.execute(sa.table('dedup_posting', sa.column('key'), sa.column('item')).insert(),
                     [{"key": k, "item": i} for k, i in zip(pkeys.tolist(), pitems.tolist())])
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('dedup_item', 'id'), :n)"),
                         {"n": len(rows)})

    with op.batch_alter_table('dedup_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dedup_signature_cluster'))
    op.drop_table('dedup_signature')
    with op.batch_alter_table('dedup_key', schema=None) as batch_op:
        batch_op.drop_index('ix_dedup_key_feedback')
    op.drop_table('dedup_key')


def downgrade() -> None:
    op.create_table('dedup_key',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('feedback_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key', 'feedback_id')
    )
    with op.batch_alter_table('dedup_key', schema=None) as batch_op:
        batch_op.create_index('ix_dedup_key_feedback', ['feedback_id'], unique=False)
    op.create_table('dedup_signature',
    sa.Column('feedback_id', sa.String(length=32), nullable=False),
    sa.Column('signature', sa.JSON(), nullable=False),
    sa.Column('cluster', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('feedback_id')
    )
    with op.batch_alter_table('dedup_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dedup_signature_cluster'), ['cluster'], unique=False)

    bind = op.get_bind()
    item_t = sa.table('dedup_item', sa.column('feedback_id', sa.String),
                      sa.column('signature', sa.JSON), sa.column('cluster', sa.String))
    old = sa.table('dedup_signature', sa.column('feedback_id', sa.String),
                   sa.column('signature', sa.JSON), sa.column('cluster', sa.String))
    key_t = sa.table('dedup_key', sa.column('key', sa.String), sa.column('feedback_id', sa.String))
    for fid, sig, cluster in bind.execute(sa.select(item_t.c.feedback_id, item_t.c.signature,
                                                    item_t.c.cluster)).all():
        bind.execute(sa.insert(old).values(feedback_id=fid, signature=sig, cluster=cluster))
        keys = list(dict.fromkeys(_keys_of(sig)))
        if keys:
            bind.execute(sa.insert(key_t), [{"key": k, "feedback_id": fid} for k in keys])

    op.drop_table('dedup_key_count')
    op.drop_table('dedup_posting')
    with op.batch_alter_table('dedup_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dedup_item_cluster'))
    op.drop_table('dedup_item')
