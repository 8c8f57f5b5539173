# models:/ URIs (the registry) give a clear error naming the alternative.
import tuitrack as mlflow

try:
    mlflow.pyfunc.load_model("models:/churn-model/Production")
except Exception as exc:
    print("ERROR", exc)
    assert "runs:/" in str(exc)
else:
    raise SystemExit("expected an error")
