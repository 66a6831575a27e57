"""YAML that cannot blow up: a size limit per file and a limit on what aliases expand to.

PyYAML shares an aliased node instead of copying it, so an 855-byte "billion laughs" file loads
quickly, but everything that walks the result as a tree (key lines, templating, JSON reports)
visits each alias again and grows without bound. Counting the tree's size on the node graph
(memoised per node, so the count itself stays cheap) refuses such a file before anything walks it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MAX_BYTES = 1024 * 1024  # 1 MiB: far above any real smoke.yaml or copier.yml
MAX_NODES = 100_000  # nodes in the document as a tree, aliases expanded


class TooBig(yaml.YAMLError):
    """A YAML file over MAX_BYTES, or whose aliases expand past MAX_NODES."""


def read_bounded(path: Path) -> bytes:
    """The bytes of `path`, refused (TooBig) above MAX_BYTES without reading them all."""
    with path.open("rb") as stream:
        data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooBig(f"larger than the limit of {MAX_BYTES // 1024} KiB; shorten the file")
    return data


def expanded_size(node: yaml.Node) -> int:
    """How many nodes `node` is as a tree (each alias counted as a full copy), capped just above
    MAX_NODES; a node that contains itself counts as too many."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:  # post-order without recursion: nesting may be deep too
        current, done = stack.pop()
        key = id(current)
        if done:
            total = 1 + sum(sizes[id(child)] for child in _children(current))
            sizes[key] = min(total, MAX_NODES + 1)
        elif key not in sizes:
            sizes[key] = MAX_NODES + 1  # until finished: reached again from inside = a cycle
            stack.append((current, True))
            stack.extend((child, False) for child in _children(current))
    return sizes[id(node)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a document whose aliases expand past MAX_NODES nodes."""

    def compose_document(self) -> yaml.Node | None:
        node: yaml.Node | None = super().compose_document()
        if node is not None and expanded_size(node) > MAX_NODES:
            raise TooBig(
                f"aliases expand to more than {MAX_NODES} nodes (an alias bomb?); "
                "write the values out or use fewer aliases"
            )
        return node
