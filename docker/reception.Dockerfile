# The reception app (python -m reception): conversations, red flags first, call-backs, exports.
FROM python:3.10.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app RECEPTION_HOST=0.0.0.0
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY . .
RUN useradd --create-home reception && chown -R reception /app
USER reception
EXPOSE 8081
CMD ["python", "-m", "reception"]
