"""Pure reconcilers: desired spec + observed SageMaker state -> one action, conditions, pace."""
