"""The models the browser may pick, and which one a request gets."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import UnknownModel


@dataclass(frozen=True, slots=True)
class Model:
    id: str
    label: str
    description: str
    default: bool


class ModelCatalogue:
    def __init__(self, models: list[Model]) -> None:
        defaults = [m for m in models if m.default]
        if len(defaults) != 1:
            raise ValueError("exactly one model must be the default")
        self._by_id = {m.id: m for m in models}
        self.default = defaults[0]

    @classmethod
    def single(cls, model_id: str) -> ModelCatalogue:
        return cls([Model(id=model_id, label=model_id, description="", default=True)])

    def resolve(self, requested: str | None) -> Model:
        if not requested:
            return self.default
        model = self._by_id.get(requested)
        if model is None:
            raise UnknownModel(
                f"unknown model {requested!r}",
                user_message=f"The model “{requested}” is not available. Pick another model.",
            )
        return model

    def as_json(self) -> dict[str, list[dict[str, object]]]:
        return {"data": [asdict(m) for m in self._by_id.values()]}
