"""Load a test module written for the official `openai` with `openai` swapped for `openai_actors`.

For tests/respx_suite: a suite written as users of the official 2.x write
theirs, run unchanged against it, and here with only its imports changed.
The swap is made on the module's syntax tree as it is loaded, so the file on
disk stays the one the official client passes; pytest's assertion rewriting
is applied as to any test module.
"""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from _pytest.assertion.rewrite import rewrite_asserts

__all__ = ["SwappedModule", "swap_imports"]

OFFICIAL = "openai"
OURS = "openai_actors"


def _swapped(name: str) -> str | None:
    """`openai` or `openai.x.y` as this package's module name; None for any other module."""
    if name == OFFICIAL or name.startswith(OFFICIAL + "."):
        return OURS + name[len(OFFICIAL) :]
    return None


class _SwapImports(ast.NodeTransformer):
    def visit_Import(self, node: ast.Import) -> ast.AST | list[ast.stmt]:
        statements: list[ast.stmt] = []
        for alias in node.names:
            ours = _swapped(alias.name)
            if ours is None:
                statements.append(ast.Import(names=[alias]))
            elif alias.asname is not None or "." not in alias.name:
                # `import openai [as x]`: bind the same name to ours.
                statements.append(ast.Import(names=[ast.alias(ours, alias.asname or OFFICIAL)]))
            else:
                # `import openai.types.chat` binds `openai` to the top package.
                statements.append(ast.Import(names=[ast.alias(ours)]))
                statements.append(ast.Import(names=[ast.alias(OURS, OFFICIAL)]))
        for statement in statements:
            ast.copy_location(statement, node)
        return statements

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        ours = _swapped(node.module or "") if node.level == 0 else None
        if ours is not None:
            node.module = ours
        return node


def swap_imports(tree: ast.Module) -> ast.Module:
    """`tree` with every import of `openai` (or a submodule) made from `openai_actors` instead."""
    return ast.fix_missing_locations(_SwapImports().visit(tree))


def load_swapped(path: Path, config: pytest.Config, name: str) -> types.ModuleType:
    source = path.read_bytes()
    tree = swap_imports(ast.parse(source, filename=str(path)))
    if config.getoption("assertmode") == "rewrite":  # as pytest does for its own imports
        rewrite_asserts(tree, source, str(path), config)
    code = compile(tree, str(path), "exec", dont_inherit=True)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class SwappedModule(pytest.Module):
    """A test module collected as usual, but loaded through `load_swapped`."""

    def _getobj(self) -> Any:
        return load_swapped(self.path, self.config, f"tests.respx_suite.{self.path.stem}")
