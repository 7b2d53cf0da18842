FROM alpine:3.20 as lower-as
MAINTAINER someone <someone@example.invalid>
LABEL org.opencontainers.image.title="harden fixture" version=1 "quoted key"=v
LABEL legacy label value
ENV A=1 B="two words" C=three\ words
ENV LEGACY value with spaces
ENV EMPTY=""
EXPOSE 8080 8443/tcp 53/udp
VOLUME /data /cache
VOLUME ["/json volume"]
WORKDIR /app
USER  app:app  
STOPSIGNAL SIGTERM
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD wget -qO- http://localhost:8080/health || exit 1
HEALTHCHECK CMD ["/bin/health", "--quick"]
HEALTHCHECK NONE
RUN ["echo", "json", "form"]
RUN [ "not", json ]
RUN echo shell form ; echo "with quotes"
CMD ["/app", "--port", "8080"]
CMD /app --shell-form
ENTRYPOINT []
ENTRYPOINT ["/sbin/tini", "--"]
ENTRYPOINT exec /app
ONBUILD COPY . /src
ONBUILD RUN make /src
from alpine
run echo lower-case keywords
  cmd ["indented"]
