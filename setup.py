"""Packaging beyond pyproject.toml: the start-up .pth file.

``tracers-importhook.pth`` goes to the top of site-packages, in wheels and in
editable installs alike; Python runs its one line at every start-up, which
only reads ``TRACERS_IMPORTHOOK`` unless that asks for the import hook.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "tracers-importhook.pth"


class build_py_with_pth(build_py):
    def run(self) -> None:
        super().run()
        # An editable install builds no package files: the .pth goes straight into the wheel.
        target = self.get_finalized_command("install").install_lib if self.editable_mode else self.build_lib
        self.copy_file(str(Path(__file__).parent / PTH), str(Path(target, PTH)), preserve_mode=False)


setup(cmdclass={"build_py": build_py_with_pth})
