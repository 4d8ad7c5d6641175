"""The HTTP surface: routes, the responses they stream, and the checks every request passes."""
