"""CodeDeploy lifecycle hooks of the chat function: PreTraffic and PostTraffic (template.yaml)."""
