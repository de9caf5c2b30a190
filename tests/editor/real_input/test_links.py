"""Pipes made and refused with the mouse: press on a port, move, release on another port."""

from __future__ import annotations

from .conftest import drag, port_point, viewport


def test_dragging_from_an_output_to_an_input_links_them_in_the_document(real_window):
    window = real_window
    load = window.canvas.add_node("io.load_image", (0, 0))
    blur = window.canvas.add_node("image.blur", (300, 0))
    window.canvas.fit()
    drag(viewport(window), port_point(window, load, "image", output=True), port_point(window, blur, "image"))
    assert window.document.graph.nodes[blur].inputs == {"image": (load, "image")}


def test_a_pipe_that_would_make_a_cycle_is_refused_with_a_message(real_window):
    window = real_window
    a = window.canvas.add_node("image.blur", (0, 0))
    b = window.canvas.add_node("image.blur", (300, 0))
    window.document.connect(f"{a}.image", f"{b}.image")
    window.canvas.fit()
    drag(viewport(window), port_point(window, b, "image", output=True), port_point(window, a, "image"))
    assert window.document.graph.nodes[a].inputs == {}
    assert "cycle" in window.statusBar().currentMessage()
    assert window.canvas.node(a).inputs()["image"].connected_ports() == []
