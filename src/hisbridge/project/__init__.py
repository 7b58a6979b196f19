"""A hisbridge project on disk: ``hisbridge.yaml`` with the SQL mappings, code maps and drug
catalogue it names, loaded once (``load_project``), and the example project ``init`` writes.

It takes only its ``ProjectSettings`` (the settings are read at the edge:
``hisbridge.runtime.extraction.open_project``) and sits below the sources that read a project;
``hisbridge.mapping`` keeps the pure row mapping and never imports the settings.
"""

from hisbridge.project.load import Project, ProjectSettings, load_project

__all__ = ["Project", "ProjectSettings", "load_project"]
