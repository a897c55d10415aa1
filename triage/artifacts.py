"""Model directories: save with a metadata card, verify before loading, the active pointer.

Layout::

    models/
      registry.json          {"active": "<id>", "history": ["<older id>", ...]}
      <id>/model.joblib      the fitted TriageModel
      <id>/meta.json         the model card (id, created_at, versions, taxonomy, classes,
                             thresholds, training data, metrics, sha256 of model.joblib)

Loading fails closed, in this order: metadata complete → sha256 matches → library
versions match → classes match the taxonomy → one smoke prediction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import sklearn

from triage.classify import FeedbackClassifier
from triage.decision import DecisionPolicy
from triage.errors import ModelNotFoundError, ModelVerificationError
from triage.features import FeatureDoc
from triage.taxonomy import Taxonomy

log = logging.getLogger(__name__)

ARTIFACT = "model.joblib"
META = "meta.json"
REGISTRY = "registry.json"
REQUIRED_META = ("id", "created_at", "versions", "taxonomy", "classes", "thresholds",
                 "training_data", "metrics", "sha256")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


@dataclass
class TriageModel:
    """A fitted classifier with its decision policy and the taxonomy it was trained on."""

    classifier: FeedbackClassifier
    policy: DecisionPolicy
    taxonomy_version: str
    taxonomy_fingerprint: str
    model_id: str = ""
    meta: dict = field(default_factory=dict)
    # the learned duplicate verifier (triage.dedup.Verifier), fitted with the model
    dedup_verifier: object | None = None

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]


def library_versions() -> dict[str, str]:
    import underthesea

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "underthesea": underthesea.__version__,
        "joblib": joblib.__version__,
        "numpy": np.__version__,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def new_model_id() -> str:
    return datetime.now(UTC).strftime("m%Y%m%d-%H%M%S-") + os.urandom(3).hex()


def _write_json_atomic(path: Path, obj: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def save_model(model: TriageModel, models_dir: str | Path, *, training_data: dict,
               metrics: dict, activate: bool = True) -> Path:
    """Write ``models/<id>/`` (artifact + card) and, by default, make it the active model."""
    models_dir = Path(models_dir)
    model.model_id = model.model_id or new_model_id()
    target = models_dir / model.model_id
    target.mkdir(parents=True, exist_ok=False)
    artifact = target / ARTIFACT
    joblib.dump(model, artifact)  # uncompressed: dense weights barely compress, load fast
    meta = {
        "id": model.model_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "taxonomy": {"version": model.taxonomy_version,
                     "fingerprint": model.taxonomy_fingerprint},
        "classes": model.classes,
        "thresholds": model.policy.thresholds,
        "out_threshold": model.policy.out_threshold,
        "training_data": training_data,
        "metrics": metrics,
        "sha256": _sha256(artifact),
    }
    _write_json_atomic(target / META, meta)
    model.meta = meta
    if activate:
        set_active(models_dir, model.model_id)
    return target


def read_registry(models_dir: str | Path) -> dict:
    path = Path(models_dir) / REGISTRY
    if not path.exists():
        return {"active": None, "history": []}
    return json.loads(path.read_text(encoding="utf-8"))


def set_active(models_dir: str | Path, model_id: str) -> None:
    models_dir = Path(models_dir)
    reg = read_registry(models_dir)
    if reg.get("active") and reg["active"] != model_id:
        reg.setdefault("history", []).append(reg["active"])
    reg["active"] = model_id
    reg["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_json_atomic(models_dir / REGISTRY, reg)


def list_models(models_dir: str | Path) -> list[dict]:
    """The cards of every model directory (newest first), without the thresholds; a
    directory without a readable card is skipped."""
    cards = []
    for meta_path in Path(models_dir).glob(f"*/{META}"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(meta, dict) or "id" not in meta:
            continue
        meta.pop("thresholds", None)
        cards.append(meta)
    return sorted(cards, key=lambda m: str(m.get("created_at", "")), reverse=True)


def rollback(models_dir: str | Path, *, to: str | None = None,
             taxonomy: Taxonomy | None = None) -> tuple[str | None, str]:
    """Make the previous active model (or ``to``, an earlier one) active again:
    (the model that was active, the one that is now). With ``taxonomy`` the target is
    loaded and verified first, and the registry is left alone if it fails."""
    models_dir = Path(models_dir)
    reg = read_registry(models_dir)
    history = list(reg.get("history") or [])
    current = reg.get("active")
    if to is None:
        while history and history[-1] == current:
            history.pop()
        if not history:
            raise ModelNotFoundError("no earlier model to roll back to")
        to = history.pop()
    elif to in history:
        history = history[:len(history) - 1 - history[::-1].index(to)]
    if taxonomy is not None:
        load_model(models_dir, taxonomy, model_id=to)
    reg.update(active=to, history=history,
               updated_at=datetime.now(UTC).isoformat(timespec="seconds"))
    _write_json_atomic(models_dir / REGISTRY, reg)
    return current, to


def active_model_id(models_dir: str | Path) -> str | None:
    return read_registry(models_dir).get("active")


def load_model(models_dir: str | Path, taxonomy: Taxonomy, *, model_id: str | None = None,
               check_versions: bool = True) -> TriageModel:
    """Load and verify a model (the active one unless ``model_id`` is given); fail closed."""
    models_dir = Path(models_dir)
    model_id = model_id or active_model_id(models_dir)
    if not model_id:
        raise ModelNotFoundError(f"no active model in {models_dir} (run `triage train`)")
    if not _ID_RE.match(model_id):
        raise ModelVerificationError(f"not a model id: {model_id!r}")
    directory = models_dir / model_id
    meta_path, artifact = directory / META, directory / ARTIFACT
    if not meta_path.exists() or not artifact.exists():
        raise ModelNotFoundError(f"model {model_id} not found in {models_dir}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelVerificationError(f"model {model_id}: meta.json unreadable: {exc}") from None
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise ModelVerificationError(f"model {model_id}: meta.json lacks {missing}")
    if _sha256(artifact) != meta["sha256"]:
        raise ModelVerificationError(f"model {model_id}: sha256 of {ARTIFACT} does not match")
    if check_versions:
        now = library_versions()
        for lib in ("scikit-learn", "underthesea", "joblib"):
            if meta["versions"].get(lib) != now[lib]:
                raise ModelVerificationError(
                    f"model {model_id}: trained with {lib} {meta['versions'].get(lib)}, "
                    f"running {now[lib]}; retrain with `triage train`")
    if meta["taxonomy"].get("fingerprint") != taxonomy.fingerprint:
        raise ModelVerificationError(
            f"model {model_id}: trained on taxonomy {meta['taxonomy'].get('version')} "
            f"({meta['taxonomy'].get('fingerprint')}), the service runs {taxonomy.version} "
            f"({taxonomy.fingerprint})")
    if meta["classes"] != taxonomy.codes:
        raise ModelVerificationError(f"model {model_id}: classes differ from the taxonomy codes")
    model = joblib.load(artifact)
    if not isinstance(model, TriageModel) or model.classes != taxonomy.codes:
        raise ModelVerificationError(f"model {model_id}: artifact does not match its card")
    try:
        s = model.classifier.decision_scores([FeatureDoc.from_text("chủ tịch xã nhận tiền")])
        assert s.codes.shape == (1, len(taxonomy.codes)) and np.isfinite(s.codes).all()
        from triage.dedup import case_signature

        verifier = getattr(model, "dedup_verifier", None)
        if verifier is not None and not verifier.current:
            # fitted on another version's pair features: the classifier is still good, the
            # duplicate search falls back to the hand-weighted similarity until a retrain
            log.warning("model %s: its duplicate verifier reads other pair features than this "
                        "version computes; duplicates use the hand-weighted similarity "
                        "until `triage train`", model_id)
            model.dedup_verifier = verifier = None
        if verifier is not None:  # a verifier that cannot score would fail every intake
            sig = case_signature("Chủ tịch xã Tân Phước nhận 5 triệu đồng mới ký giấy.")
            p = verifier.probabilities(sig, [sig])
            assert p.shape == (1,) and 0.0 <= float(p[0]) <= 1.0
    except Exception as exc:  # noqa: BLE001 - any failure here means: do not serve it
        raise ModelVerificationError(f"model {model_id}: smoke prediction failed: {exc}") from exc
    model.model_id = model_id
    model.meta = meta
    return model
