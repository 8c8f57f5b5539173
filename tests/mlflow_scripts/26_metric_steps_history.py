# A training loop: log_metrics per epoch with step=, then read history and the latest values.
import tuitrack as mlflow

with mlflow.start_run() as run:
    for epoch in range(5):
        mlflow.log_metrics({"train_loss": 1 / (epoch + 1), "val_loss": 1.2 / (epoch + 1)}, step=epoch)
    mlflow.log_metric("test_accuracy", 0.91)
client = mlflow.MlflowClient()
hist = client.get_metric_history(run.info.run_id, "val_loss")
assert [h.step for h in hist] == [0, 1, 2, 3, 4]
assert mlflow.get_run(run.info.run_id).data.metrics["train_loss"] == 0.2
