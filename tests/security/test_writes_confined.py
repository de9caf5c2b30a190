"""A graph writes only under its own folder, the working folder and the folders the user
allowed (--allow-write, allow_write, a path typed with --set). Anything else is refused at
validation, naming the node, the parameter and the fix, and nothing is written."""

from __future__ import annotations

import json

import pytest


def files_under(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def symlinked(graph_dir, tmp_path):
    try:
        (graph_dir / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    except OSError:
        pytest.skip("this system does not let the user make symlinks")


@pytest.mark.parametrize("name", ["write_absolute", "write_dotdot", "write_symlink", "write_home"])
def test_a_write_outside_the_allowed_folders_is_refused(name, hostile, thyra, tmp_path, request):
    if name == "write_symlink":
        request.getfixturevalue("symlinked")
    path = hostile(name, OUTSIDE=tmp_path / "outside")
    code, _, err = thyra("validate", path)
    assert code == 2
    assert "node 'save'" in err and "parameter 'path'" in err and "--allow-write" in err and "--set save.path=" in err
    code, _, err = thyra("run", "--no-cache", path)
    assert code == 2
    assert files_under(tmp_path / "outside") == [] and files_under(tmp_path / "home") == []


def test_the_refusal_names_the_real_place_behind_a_symlink(hostile, thyra, tmp_path, symlinked):
    code, _, err = thyra("validate", hostile("write_symlink"))
    assert code == 2 and str(tmp_path / "outside" / "planted.png") in err


def test_allow_write_lets_the_user_widen_the_roots(hostile, thyra, tmp_path):
    code, _, err = thyra("run", "--no-cache", "--allow-write", tmp_path / "outside", hostile("write_dotdot"))
    assert code == 0, err
    assert (tmp_path / "outside" / "planted.png").is_file()


def test_allow_write_in_the_user_config_widens_them_too(hostile, thyra, tmp_path, fresh_user):
    fresh_user.write_text(f"allow_write: ['{tmp_path / 'outside'}']\n", encoding="utf-8")
    assert thyra("validate", hostile("write_absolute", OUTSIDE=tmp_path / "outside"))[0] == 0


def test_a_path_typed_with_set_is_the_users_choice(hostile, thyra, tmp_path):
    target = tmp_path / "outside" / "mine.png"
    code, _, err = thyra("run", "--no-cache", "--set", f"save.path={target}", hostile("write_dotdot"))
    assert code == 0, err
    assert target.is_file()


def test_writes_inside_the_graph_folder_and_the_working_folder_pass(hostile, thyra, graph_dir, tmp_path):
    code, _, err = thyra("run", "--no-cache", hostile("write_stem"))
    assert code == 0, err
    assert (graph_dir / "out" / "{stem}.png").is_file()
    code, _, err = thyra("run", "--no-cache", "--set", "save.path=here.png", hostile("write_stem"))
    assert code == 0, err
    assert (tmp_path / "cwd" / "here.png").is_file()


def test_over_with_stem_paths_still_writes_one_file_per_input(hostile, thyra, graph_dir):
    import shutil

    for stem in ("a", "b"):
        shutil.copy(graph_dir / "in.png", graph_dir / f"{stem}.png")
    code, _, err = thyra("run", "--no-cache", "--over", str(graph_dir / "[ab].png"), "--bind", "load.path",
                         hostile("write_stem"))
    assert code == 0, err
    assert (graph_dir / "out" / "a.png").is_file() and (graph_dir / "out" / "b.png").is_file()


def test_hidden_files_and_folders_inside_the_graph_folder_are_refused(hostile, thyra, graph_dir):
    code, _, err = thyra("run", "--no-cache", hostile("write_git_hook"))
    assert code == 2 and "node 'save'" in err and "node 'again'" in err and "hidden" in err
    assert not (graph_dir / ".git").exists() and not (graph_dir / ".profile.png").exists()


def test_a_home_folder_as_working_folder_does_not_open_the_whole_home(hostile, thyra, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "home")
    text = hostile("write_home").read_text(encoding="utf-8").replace("~/planted.png", "~/Desktop/planted.png")
    (tmp_path / "graph" / "write_home.yaml").write_text(text, encoding="utf-8")
    code, out, err = thyra("validate", "--json", tmp_path / "graph" / "write_home.yaml")
    assert code == 2 and "--allow-write" in err
    assert json.loads(out)[0]["status"] == "invalid"
    assert not (tmp_path / "home" / "Desktop").exists()
    code, _, err = thyra("run", "--no-cache", "--set", "save.path=mine.png", tmp_path / "graph" / "write_home.yaml")
    assert code == 0, err  # a path the user types is the user's, home or not
    assert (tmp_path / "home" / "mine.png").is_file()
