"""A tiny, closed arithmetic evaluator for SVAMP equations such as ``( 84.0 / 2.0 )``.

DSS scores SVAMP by calling Python's ``eval`` on the model's generated text, which runs
arbitrary code a model (or a data file) writes. Here the text is parsed with ``ast`` in
``mode="eval"`` and only a whitelist of node types is walked: numbers, the four binary
operators, unary plus/minus and parentheses (which leave no node). Anything else (names,
calls, attributes, subscripts, strings, ``**``) raises ``UnsafeExpression`` before any
value is computed. Length and magnitude are capped so that a hostile expression cannot
make the evaluator slow or huge either.
"""

from __future__ import annotations

import ast
import math

MAX_EXPRESSION_CHARS = 512
MAX_MAGNITUDE = 1e15
REL_TOLERANCE = 1e-4
# Absolute slack for values that should be 0 but carry float noise (0.1 + 0.2 - 0.3).
ABS_TOLERANCE = 1e-9

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: +a}


class UnsafeExpression(ValueError):
    """An expression outside the allowed grammar, too long, or with an absurd magnitude."""


def evaluate(expression: str) -> float:
    """The value of ``expression``; ``UnsafeExpression`` if refused.

    Division by zero raises ``ZeroDivisionError`` (a valid but undefined expression).
    """
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise UnsafeExpression(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise UnsafeExpression(f"not an arithmetic expression: {expression!r}") from err
    return _walk(tree)


def try_evaluate(expression: str) -> float | None:
    """``evaluate`` with every failure (refused, malformed, division by zero) as ``None``."""
    try:
        return evaluate(expression)
    except (UnsafeExpression, ZeroDivisionError, RecursionError):
        return None


def values_equal(a: float | None, b: float | None) -> bool:
    """Numeric equality with relative tolerance ``REL_TOLERANCE``; ``None`` equals nothing."""
    if a is None or b is None:
        return False
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)


def _walk(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _walk(node.body)
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _walk(node.left), _walk(node.right)
        return _checked(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_walk(node.operand))
    raise UnsafeExpression(f"{type(node).__name__} is not allowed in an arithmetic expression")


def _constant(value: object) -> float:
    # bool is an int subclass: `True + 1` is not arithmetic on numbers.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnsafeExpression(f"constant {value!r} is not a number")
    if isinstance(value, int) and value.bit_length() > 64:
        raise UnsafeExpression("number of absurd size")
    return _checked(float(value))


def _checked(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise UnsafeExpression(f"magnitude above {MAX_MAGNITUDE:g}")
    return value
