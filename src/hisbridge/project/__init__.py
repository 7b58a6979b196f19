"""A hisbridge project on disk: ``hisbridge.yaml`` with the SQL mappings, code maps and drug
catalogue it names, loaded once (``load_project``), and the example project ``init`` writes.

It sits above ``hisbridge.settings`` (it loads them) and below the sources that read a project;
``hisbridge.mapping`` keeps the pure row mapping and never imports the settings.
"""

from hisbridge.project.load import Project, load_project

__all__ = ["Project", "load_project"]
