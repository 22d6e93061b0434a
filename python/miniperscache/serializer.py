"""0.1.3's module path `miniperscache.serializer`, kept so old imports work; import from
`miniperscache`."""

from .serializers import DillSerializer, JsonSerializer, PickleSerializer, Serializer

__all__ = ["DillSerializer", "JsonSerializer", "PickleSerializer", "Serializer"]
