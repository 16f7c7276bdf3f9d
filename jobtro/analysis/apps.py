from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "jobtro.analysis"
    label = "analysis"
